# Sourced by deploy/dev and deploy/cluster: the secrets the workers and the
# APIs share, made once per machine in DIR and kept out of git. A variable
# already set in the environment wins.
#   usage: make_secrets DIR

# secret_file FILE: 32 random bytes, base64, made once.
secret_file() {
  [[ -s $1 ]] || head -c 32 /dev/urandom | base64 > "$1"
  chmod 600 "$1"
  cat "$1"
}

make_secrets() {
  local dir=$1 f
  mkdir -p "$dir"
  # The worker signs handover acknowledgement links, the API checks them.
  [[ -n ${HANDOVER_LINK_SECRET:-} ]] || HANDOVER_LINK_SECRET=$(secret_file "$dir/handover-link-secret")
  # Trajectory ids are keyed with this secret (HMAC), so an id reveals
  # nothing of the referrer's reference.
  [[ -n ${TRAJECTORY_ID_SECRET:-} ]] || TRAJECTORY_ID_SECRET=$(secret_file "$dir/trajectory-id-secret")
  # Payloads that belong to no trajectory are encrypted with these keys (id:base64).
  if [[ -z ${PAYLOAD_KEYS:-} ]]; then
    [[ -s $dir/payload-keys ]] || echo "key-$(date +%Y%m):$(head -c 32 /dev/urandom | base64)" > "$dir/payload-keys"
    chmod 600 "$dir/payload-keys"
    PAYLOAD_KEYS=$(cat "$dir/payload-keys")
  fi
  # Each trajectory's data key is wrapped by a key of its programme
  # (programme:name:base64), one per programme file; a programme file added
  # since the keys were made gets its key added.
  if [[ -z ${PROGRAMME_KEYS:-} ]]; then
    local id keys=""
    [[ -s $dir/programme-keys ]] && keys=$(cat "$dir/programme-keys")
    for f in "${PROGRAMMES_DIR:-deploy/programmes}"/*.yaml; do
      id=$(sed -n 's/^id: *//p' "$f")
      [[ ,$keys, == *",$id:"* ]] && continue
      keys="${keys:+$keys,}$id:key-$(date +%Y%m):$(head -c 32 /dev/urandom | base64)"
    done
    printf '%s\n' "$keys" > "$dir/programme-keys"
    chmod 600 "$dir/programme-keys"
    PROGRAMME_KEYS=$keys
  fi
  export HANDOVER_LINK_SECRET TRAJECTORY_ID_SECRET PAYLOAD_KEYS PROGRAMME_KEYS
}
