package activities

// Builders the external tests read; unexported in the package because
// every exported method of Activities is registered as an activity.
var (
	NotificationMessage = (*Activities).notificationMessage
)
