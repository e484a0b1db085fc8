package familylink

import "strings"

// Language is one language of the family page.
type Language struct {
	Code string // BCP 47, as the page's lang attribute says it
	Name string // the language's own name, for the switch on the page
	RTL  bool
}

// Languages are the page's languages; the first is the fallback.
var Languages = []Language{
	{Code: "nl", Name: "Nederlands"},
	{Code: "fr", Name: "Français"},
	{Code: "en", Name: "English"},
	{Code: "ar", Name: "العربية", RTL: true},
	{Code: "tr", Name: "Türkçe"},
}

// LanguageOf finds a language by code; ok is false for one the page does not speak.
func LanguageOf(code string) (Language, bool) {
	for _, l := range Languages {
		if l.Code == code {
			return l, true
		}
	}
	return Languages[0], false
}

// namesOf are how a referral may write a language (family.language is
// free text): the codes and the names in Dutch, English and the language itself.
var namesOf = map[string]string{
	"nl": "nl", "nederlands": "nl", "dutch": "nl", "vlaams": "nl",
	"fr": "fr", "frans": "fr", "french": "fr", "français": "fr", "francais": "fr",
	"en": "en", "engels": "en", "english": "en",
	"ar": "ar", "arabisch": "ar", "arabic": "ar", "العربية": "ar",
	"tr": "tr", "turks": "tr", "turkish": "tr", "türkçe": "tr", "turkce": "tr",
}

// MatchLanguage reads a language as a referral or a coach wrote it ("Arabisch",
// "fr-BE"); ok is false when the page does not speak it.
func MatchLanguage(s string) (Language, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if code, ok := namesOf[s]; ok {
		return LanguageOf(code)
	}
	if base, _, ok := strings.Cut(s, "-"); ok {
		if code, ok := namesOf[base]; ok {
			return LanguageOf(code)
		}
	}
	return Languages[0], false
}

// Message keys of the catalogue.
const (
	msgTitle          = "title"
	msgIntro          = "intro"
	msgPrivate        = "private"
	msgGoals          = "goals"
	msgNoGoals        = "no_goals"
	msgStrengths      = "strengths"
	msgActions        = "actions"
	msgDue            = "due"
	msgDone           = "done"
	msgOpen           = "status_open"
	msgReached        = "status_reached"
	msgLetGo          = "status_let_go"
	msgWhoFamily      = "who_family"
	msgWhoCoach       = "who_coach"
	msgWhoCoWorker    = "who_co_worker"
	msgWhoService     = "who_service"
	msgCoach          = "coach"
	msgCoachIs        = "coach_is"
	msgCall           = "call"
	msgMail           = "mail"
	msgNext           = "next"
	msgNextAt         = "next_at"
	msgNoNext         = "no_next"
	msgAsk            = "ask"
	msgAskHelp        = "ask_help"
	msgAskMessage     = "ask_message"
	msgAskButton      = "ask_button"
	msgAsked          = "asked"
	msgTooMany        = "too_many"
	msgTryLater       = "try_later"
	msgLanguage       = "language"
	msgLinkInvalid    = "link_invalid"
	msgLinkEnded      = "link_ended"
	msgLinkEndedTitle = "link_ended_title"
	msgLinkBadTitle   = "link_invalid_title"
	msgMailSubject    = "mail_subject"
	msgMailBody       = "mail_body"
	msgAgreedOn       = "agreed_on"
	msgMessageTooLong = "message_too_long"
)

// catalogue holds every sentence of the page per language, in plain
// language (B1): short sentences, common words, "you" to the family.
var catalogue = map[string]map[string]string{
	"nl": {
		msgMailSubject:    "Uw plan met uw coach",
		msgMailBody:       "Goeiedag,\n\nMet deze link ziet u het plan dat u met uw coach maakte, en uw volgende afspraak:\n\n%s\n\nDe link is alleen voor uw gezin. Hij werkt tot %s.\nVragen? Antwoord op deze e-mail of bel uw coach.",
		msgLinkBadTitle:   "Link werkt niet",
		msgTitle:          "Ons plan",
		msgIntro:          "Hier ziet u wat u met uw coach hebt afgesproken.",
		msgPrivate:        "Deze pagina is alleen voor uw gezin. Geef de link aan niemand anders.",
		msgGoals:          "Onze doelen",
		msgNoGoals:        "Er staan nog geen doelen in het plan. U maakt ze samen met uw coach.",
		msgStrengths:      "Waar we sterk in zijn",
		msgActions:        "Wat we afspraken",
		msgDue:            "tegen",
		msgDone:           "gedaan",
		msgOpen:           "bezig",
		msgReached:        "bereikt",
		msgLetGo:          "losgelaten",
		msgWhoFamily:      "Wij",
		msgWhoCoach:       "De coach",
		msgWhoCoWorker:    "Een medewerker van het team",
		msgWhoService:     "Een andere dienst",
		msgCoach:          "Uw coach",
		msgCoachIs:        "Uw coach is %s.",
		msgCall:           "Bellen",
		msgMail:           "Mailen",
		msgNext:           "Volgende afspraak",
		msgNextAt:         "%s om %s",
		msgNoNext:         "Er is nog geen nieuwe afspraak. Uw coach spreekt een datum met u af.",
		msgAsk:            "Past deze datum niet?",
		msgAskHelp:        "Vraag een andere datum. Uw coach krijgt uw vraag en neemt contact met u op. De afspraak verandert pas als u samen een nieuwe datum kiest.",
		msgAskMessage:     "Wilt u iets zeggen? (mag leeg blijven)",
		msgAskButton:      "Vraag een andere datum",
		msgAsked:          "Uw vraag is verstuurd. Uw coach neemt contact met u op.",
		msgTooMany:        "U hebt al veel vragen gestuurd. Wacht even of bel uw coach.",
		msgTryLater:       "Het lukte nu niet. Probeer het straks opnieuw of bel uw coach.",
		msgLanguage:       "Taal",
		msgLinkInvalid:    "Deze link werkt niet. Kijk of u de hele link hebt. Lukt het niet? Vraag uw coach om een nieuwe link.",
		msgLinkEnded:      "Deze link werkt niet meer. Hebt u nog vragen? Neem contact op met uw coach.",
		msgLinkEndedTitle: "Link werkt niet meer",
		msgAgreedOn:       "Samen afgesproken op %s.",
		msgMessageTooLong: "Uw bericht is te lang. Schrijf het korter, in ten hoogste %d tekens.",
	},
	"fr": {
		msgMailSubject:    "Votre plan avec votre coach",
		msgMailBody:       "Bonjour,\n\nAvec ce lien, vous voyez le plan fait avec votre coach, et votre prochain rendez-vous :\n\n%s\n\nLe lien est seulement pour votre famille. Il marche jusqu'au %s.\nDes questions ? Répondez à cet e-mail ou appelez votre coach.",
		msgLinkBadTitle:   "Le lien ne marche pas",
		msgTitle:          "Notre plan",
		msgIntro:          "Ici, vous voyez ce que vous avez décidé avec votre coach.",
		msgPrivate:        "Cette page est seulement pour votre famille. Ne donnez le lien à personne d'autre.",
		msgGoals:          "Nos objectifs",
		msgNoGoals:        "Il n'y a pas encore d'objectifs dans le plan. Vous les faites avec votre coach.",
		msgStrengths:      "Nos forces",
		msgActions:        "Ce que nous avons décidé",
		msgDue:            "pour le",
		msgDone:           "fait",
		msgOpen:           "en cours",
		msgReached:        "atteint",
		msgLetGo:          "abandonné",
		msgWhoFamily:      "Nous",
		msgWhoCoach:       "Le coach",
		msgWhoCoWorker:    "Une personne de l'équipe",
		msgWhoService:     "Un autre service",
		msgCoach:          "Votre coach",
		msgCoachIs:        "Votre coach est %s.",
		msgCall:           "Appeler",
		msgMail:           "Envoyer un e-mail",
		msgNext:           "Prochain rendez-vous",
		msgNextAt:         "le %s à %s",
		msgNoNext:         "Il n'y a pas encore de nouveau rendez-vous. Votre coach choisira une date avec vous.",
		msgAsk:            "Cette date ne vous convient pas ?",
		msgAskHelp:        "Demandez une autre date. Votre coach reçoit votre demande et vous contacte. Le rendez-vous change seulement quand vous choisissez ensemble une nouvelle date.",
		msgAskMessage:     "Voulez-vous dire quelque chose ? (pas obligatoire)",
		msgAskButton:      "Demander une autre date",
		msgAsked:          "Votre demande est envoyée. Votre coach va vous contacter.",
		msgTooMany:        "Vous avez déjà envoyé beaucoup de demandes. Attendez un peu ou appelez votre coach.",
		msgTryLater:       "Cela n'a pas marché. Essayez plus tard ou appelez votre coach.",
		msgLanguage:       "Langue",
		msgLinkInvalid:    "Ce lien ne marche pas. Vérifiez que vous avez tout le lien. Sinon, demandez un nouveau lien à votre coach.",
		msgLinkEnded:      "Ce lien ne marche plus. Vous avez des questions ? Contactez votre coach.",
		msgLinkEndedTitle: "Le lien ne marche plus",
		msgAgreedOn:       "Décidé ensemble le %s.",
		msgMessageTooLong: "Votre message est trop long. Écrivez au maximum %d caractères.",
	},
	"en": {
		msgMailSubject:    "Your plan with your coach",
		msgMailBody:       "Hello,\n\nWith this link you see the plan you made with your coach, and your next appointment:\n\n%s\n\nThe link is only for your family. It works until %s.\nQuestions? Reply to this email or call your coach.",
		msgLinkBadTitle:   "The link does not work",
		msgTitle:          "Our plan",
		msgIntro:          "Here you see what you agreed with your coach.",
		msgPrivate:        "This page is only for your family. Do not give the link to anyone else.",
		msgGoals:          "Our goals",
		msgNoGoals:        "There are no goals in the plan yet. You make them together with your coach.",
		msgStrengths:      "What we are good at",
		msgActions:        "What we agreed",
		msgDue:            "by",
		msgDone:           "done",
		msgOpen:           "working on it",
		msgReached:        "reached",
		msgLetGo:          "let go",
		msgWhoFamily:      "We",
		msgWhoCoach:       "The coach",
		msgWhoCoWorker:    "Someone from the team",
		msgWhoService:     "Another service",
		msgCoach:          "Your coach",
		msgCoachIs:        "Your coach is %s.",
		msgCall:           "Call",
		msgMail:           "Email",
		msgNext:           "Next appointment",
		msgNextAt:         "%s at %s",
		msgNoNext:         "There is no new appointment yet. Your coach will choose a date with you.",
		msgAsk:            "Is this date not good for you?",
		msgAskHelp:        "Ask for another date. Your coach gets your question and contacts you. The appointment only changes when you choose a new date together.",
		msgAskMessage:     "Do you want to say something? (you can leave this empty)",
		msgAskButton:      "Ask for another date",
		msgAsked:          "Your question was sent. Your coach will contact you.",
		msgTooMany:        "You have sent many questions already. Please wait a little or call your coach.",
		msgTryLater:       "That did not work now. Please try again later or call your coach.",
		msgLanguage:       "Language",
		msgLinkInvalid:    "This link does not work. Check that you have the whole link. If it still does not work, ask your coach for a new link.",
		msgLinkEnded:      "This link does not work any more. Do you have questions? Contact your coach.",
		msgLinkEndedTitle: "The link does not work any more",
		msgAgreedOn:       "Agreed together on %s.",
		msgMessageTooLong: "Your message is too long. Please write at most %d characters.",
	},
	"ar": {
		msgMailSubject:    "خطتكم مع المرشد",
		msgMailBody:       "مرحبًا،\n\nبهذا الرابط ترى الخطة التي وضعتها مع المرشد، وموعدك القادم:\n\n%s\n\nالرابط لعائلتك فقط. يعمل حتى %s.\nأسئلة؟ أجب على هذا البريد أو اتصل بالمرشد.",
		msgLinkBadTitle:   "الرابط لا يعمل",
		msgTitle:          "خطتنا",
		msgIntro:          "هنا ترى ما اتفقت عليه مع المرشد الخاص بك.",
		msgPrivate:        "هذه الصفحة لعائلتك فقط. لا تعطِ الرابط لأي شخص آخر.",
		msgGoals:          "أهدافنا",
		msgNoGoals:        "لا توجد أهداف في الخطة بعد. ستضعونها مع المرشد.",
		msgStrengths:      "نقاط قوتنا",
		msgActions:        "ما اتفقنا عليه",
		msgDue:            "قبل",
		msgDone:           "تم",
		msgOpen:           "قيد العمل",
		msgReached:        "تحقق",
		msgLetGo:          "تم التخلي عنه",
		msgWhoFamily:      "نحن",
		msgWhoCoach:       "المرشد",
		msgWhoCoWorker:    "شخص من الفريق",
		msgWhoService:     "خدمة أخرى",
		msgCoach:          "المرشد الخاص بك",
		msgCoachIs:        "المرشد الخاص بك هو %s.",
		msgCall:           "اتصل",
		msgMail:           "أرسل بريدًا إلكترونيًا",
		msgNext:           "الموعد القادم",
		msgNextAt:         "%s الساعة %s",
		msgNoNext:         "لا يوجد موعد جديد بعد. سيختار المرشد تاريخًا معك.",
		msgAsk:            "هل هذا التاريخ غير مناسب لك؟",
		msgAskHelp:        "اطلب تاريخًا آخر. سيصل طلبك إلى المرشد وسيتصل بك. لا يتغير الموعد إلا عندما تختارون معًا تاريخًا جديدًا.",
		msgAskMessage:     "هل تريد أن تقول شيئًا؟ (يمكن تركه فارغًا)",
		msgAskButton:      "اطلب تاريخًا آخر",
		msgAsked:          "تم إرسال طلبك. سيتصل بك المرشد.",
		msgTooMany:        "لقد أرسلت طلبات كثيرة. انتظر قليلًا أو اتصل بالمرشد.",
		msgTryLater:       "لم ينجح ذلك الآن. حاول لاحقًا أو اتصل بالمرشد.",
		msgLanguage:       "اللغة",
		msgLinkInvalid:    "هذا الرابط لا يعمل. تأكد أن لديك الرابط كاملًا. إذا لم ينجح، اطلب رابطًا جديدًا من المرشد.",
		msgLinkEnded:      "هذا الرابط لم يعد يعمل. هل لديك أسئلة؟ اتصل بالمرشد.",
		msgLinkEndedTitle: "الرابط لم يعد يعمل",
		msgAgreedOn:       "اتفقنا عليه معًا في %s.",
		msgMessageTooLong: "رسالتك طويلة جدًا. اكتب %d حرفًا على الأكثر.",
	},
	"tr": {
		msgMailSubject:    "Koçunuzla planınız",
		msgMailBody:       "Merhaba,\n\nBu bağlantı ile koçunuzla yaptığınız planı ve sonraki randevunuzu görürsünüz:\n\n%s\n\nBağlantı sadece aileniz içindir. %s tarihine kadar çalışır.\nSorunuz mu var? Bu e-postayı yanıtlayın veya koçunuzu arayın.",
		msgLinkBadTitle:   "Bağlantı çalışmıyor",
		msgTitle:          "Planımız",
		msgIntro:          "Burada koçunuzla neler kararlaştırdığınızı görürsünüz.",
		msgPrivate:        "Bu sayfa sadece aileniz içindir. Bağlantıyı başka kimseye vermeyin.",
		msgGoals:          "Hedeflerimiz",
		msgNoGoals:        "Planda henüz hedef yok. Hedefleri koçunuzla birlikte belirlersiniz.",
		msgStrengths:      "Güçlü yanlarımız",
		msgActions:        "Ne kararlaştırdık",
		msgDue:            "son tarih",
		msgDone:           "yapıldı",
		msgOpen:           "devam ediyor",
		msgReached:        "ulaşıldı",
		msgLetGo:          "bırakıldı",
		msgWhoFamily:      "Biz",
		msgWhoCoach:       "Koç",
		msgWhoCoWorker:    "Ekipten biri",
		msgWhoService:     "Başka bir kurum",
		msgCoach:          "Koçunuz",
		msgCoachIs:        "Koçunuz: %s.",
		msgCall:           "Ara",
		msgMail:           "E-posta gönder",
		msgNext:           "Sonraki randevu",
		msgNextAt:         "%s, saat %s",
		msgNoNext:         "Henüz yeni bir randevu yok. Koçunuz sizinle bir tarih seçecek.",
		msgAsk:            "Bu tarih size uymuyor mu?",
		msgAskHelp:        "Başka bir tarih isteyin. Koçunuz isteğinizi alır ve sizinle iletişime geçer. Randevu ancak birlikte yeni bir tarih seçtiğinizde değişir.",
		msgAskMessage:     "Bir şey söylemek ister misiniz? (boş bırakabilirsiniz)",
		msgAskButton:      "Başka bir tarih iste",
		msgAsked:          "İsteğiniz gönderildi. Koçunuz sizinle iletişime geçecek.",
		msgTooMany:        "Çok fazla istek gönderdiniz. Biraz bekleyin veya koçunuzu arayın.",
		msgTryLater:       "Şu an olmadı. Daha sonra tekrar deneyin veya koçunuzu arayın.",
		msgLanguage:       "Dil",
		msgLinkInvalid:    "Bu bağlantı çalışmıyor. Bağlantının tamamını aldığınızdan emin olun. Olmazsa koçunuzdan yeni bir bağlantı isteyin.",
		msgLinkEnded:      "Bu bağlantı artık çalışmıyor. Sorunuz mu var? Koçunuzla iletişime geçin.",
		msgLinkEndedTitle: "Bağlantı artık çalışmıyor",
		msgAgreedOn:       "%s tarihinde birlikte kararlaştırıldı.",
		msgMessageTooLong: "Mesajınız çok uzun. En fazla %d karakter yazın.",
	},
}

// text is one sentence of the catalogue in the language (Dutch when the
// language lacks it, which a test forbids).
func text(lang, key string) string {
	if s, ok := catalogue[lang][key]; ok {
		return s
	}
	return catalogue["nl"][key]
}

// domainNames are the default life domains (trajectory.DefaultLifeDomains)
// in each language; a domain a programme names itself shows its own name.
var domainNames = map[string]map[string]string{
	"nl": {"income_debts": "Inkomen en schulden", "housing": "Wonen", "health": "Gezondheid",
		"parenting": "Opvoeding en de kinderen", "childcare_school": "Kinderopvang en school", "work_training": "Werk en opleiding",
		"social_network": "Familie, vrienden en buren", "administration_rights": "Papieren en rechten", "material_needs": "Wat we nodig hebben"},
	"fr": {"income_debts": "Revenus et dettes", "housing": "Logement", "health": "Santé",
		"parenting": "Éducation et enfants", "childcare_school": "Crèche et école", "work_training": "Travail et formation",
		"social_network": "Famille, amis et voisins", "administration_rights": "Papiers et droits", "material_needs": "Ce dont nous avons besoin"},
	"en": {"income_debts": "Income and debts", "housing": "Housing", "health": "Health",
		"parenting": "Parenting and the children", "childcare_school": "Childcare and school", "work_training": "Work and training",
		"social_network": "Family, friends and neighbours", "administration_rights": "Papers and rights", "material_needs": "What we need"},
	"ar": {"income_debts": "الدخل والديون", "housing": "السكن", "health": "الصحة",
		"parenting": "التربية والأطفال", "childcare_school": "الحضانة والمدرسة", "work_training": "العمل والتكوين",
		"social_network": "العائلة والأصدقاء والجيران", "administration_rights": "الأوراق والحقوق", "material_needs": "ما نحتاجه"},
	"tr": {"income_debts": "Gelir ve borçlar", "housing": "Konut", "health": "Sağlık",
		"parenting": "Çocuk yetiştirme ve çocuklar", "childcare_school": "Kreş ve okul", "work_training": "İş ve eğitim",
		"social_network": "Aile, arkadaşlar ve komşular", "administration_rights": "Belgeler ve haklar", "material_needs": "İhtiyaçlarımız"},
}

// DomainName is a life domain as the family reads it: a default domain in
// the page's language, another as the programme names it.
func DomainName(lang, id, programmeName string) string {
	if n, ok := domainNames[lang][id]; ok {
		return n
	}
	return programmeName
}
