# Sourced by deploy/dev and deploy/install-tools: Kannel, the SMS gateway
# (Debian's kannel), with kannel-extras' fakesmsc standing in for the
# operator's SMSC, as Mailpit does for the mail server.
#   install_kannel                 apt-get install kannel kannel-extras when missing
#   kannel_config DIR PORT_BASE    writes DIR/kannel.conf from deploy/kannel/kannel.conf.tmpl
#   start_kannel DIR PORT_BASE     starts bearerbox, fakesmsc and smsbox; appends their pids to pids
# Ports from PORT_BASE: admin, smsbox, fake SMSC, sendsms (PORT_BASE+3).

install_kannel() {
  if [[ -x /usr/sbin/bearerbox && -x /usr/sbin/smsbox ]] && fakesmsc_bin > /dev/null; then
    return 0
  fi
  echo "installing kannel and kannel-extras (apt-get) for SMS to families ..." >&2
  local sudo=""; [[ $(id -u) == 0 ]] || sudo=sudo
  $sudo apt-get update >&2
  $sudo apt-get install -y kannel kannel-extras >&2
}

# fakesmsc_bin prints where kannel-extras put fakesmsc.
fakesmsc_bin() {
  local f
  for f in "$(command -v fakesmsc 2>/dev/null)" /usr/lib/kannel/test/fakesmsc /usr/lib/kannel/fakesmsc; do
    [[ -n $f && -x $f ]] && { echo "$f"; return 0; }
  done
  return 1
}

kannel_config() {
  local dir=$1 base=$2
  mkdir -p "$dir"
  [[ -s $dir/password ]] || head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/password"
  chmod 600 "$dir/password"
  sed -e "s#@DIR@#$dir#g" -e "s/@ADMIN_PORT@/$base/" -e "s/@SMSBOX_PORT@/$((base + 1))/g" \
    -e "s/@FAKESMSC_PORT@/$((base + 2))/" -e "s/@SENDSMS_PORT@/$((base + 3))/" \
    -e "s/@ADMIN_PASSWORD@/$(cat "$dir/password")/g" -e "s/@USER@/elkgezin/" -e "s/@PASSWORD@/$(cat "$dir/password")/" \
    deploy/kannel/kannel.conf.tmpl > "$dir/kannel.conf"
  chmod 600 "$dir/kannel.conf"
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most).
wait_port() {
  local _
  for _ in $(seq 50); do
    (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

start_kannel() {
  local dir=$1 base=$2
  kannel_config "$dir" "$base"
  /usr/sbin/bearerbox -v 1 "$dir/kannel.conf" > "$dir/bearerbox.out" 2>&1 &
  pids+=($!)
  wait_port $((base + 2))
  # fakesmsc prints each SMS it gets: "Got message N: <from to text|ucs-2 ...>".
  "$(fakesmsc_bin)" -H 127.0.0.1 -r $((base + 2)) -i 1 -m 0 "0 0 text nop" > "$dir/fakesmsc.log" 2>&1 &
  pids+=($!)
  /usr/sbin/smsbox -v 1 "$dir/kannel.conf" > "$dir/smsbox.out" 2>&1 &
  pids+=($!)
  wait_port $((base + 3))
  export SMS_GATEWAY_URL=${SMS_GATEWAY_URL:-http://127.0.0.1:$((base + 3))/cgi-bin/sendsms}
  export SMS_USERNAME=${SMS_USERNAME:-elkgezin} SMS_PASSWORD=${SMS_PASSWORD:-$(cat "$dir/password")}
  export SMS_SENDER=${SMS_SENDER:-elkgezin}
}
