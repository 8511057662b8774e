# The --mua part of testbed.sh (sourced): per domain a Dovecot on 127.N.k.3 (IMAPS on 993 with a
# certificate from the testbed CA, LMTP on DIR/imap.<domain>/lmtp.sock), its own configuration
# and directories under DIR/imap.<domain>; the domain's IMS runs in [delivery] mode "lmtp" and
# Dovecot asks `im2k-ims checkpassword` for the IMS's passwords.
# shellcheck shell=bash

readonly imaps_port=993

imap_dir_of() { echo "$dir/imap.$1"; } # DOMAIN
lmtp_socket_of() { echo "$dir/imap.$1/lmtp.sock"; }

# Dovecot will not deliver mail as root: as root the mail belongs to nobody, who must be able to
# reach the mail directory (o+x on the ancestors root owns; no listing).
mail_account() {
  if [ "$(id -u)" -eq 0 ]; then
    echo "nobody $(id -gn nobody)"
  else
    echo "$(id -un) $(id -gn)"
  fi
}

open_path_for_mail() { # PATH
  [ "$(id -u)" -eq 0 ] || return 0
  local p=$1
  while [ "$p" != / ] && [ -n "$p" ]; do
    if [ "$(stat -c %u "$p")" = 0 ] && [ $((0$(stat -c %a "$p") & 1)) -eq 0 ]; then
      chmod o+x "$p"
    fi
    p=$(dirname "$p")
  done
}

write_dovecot_conf() { # DOMAIN
  local d=$1 host="imap.$1" top user group login_user
  top=$(imap_dir_of "$d")
  read -r user group <<<"$(mail_account)"
  login_user=$(id -un)
  [ "$(id -u)" -ne 0 ] || login_user=dovenull
  mkdir -p "$top/run" "$top/state" "$top/mail"
  chown "$user:$group" "$top/mail"
  open_path_for_mail "$top/mail"
  cat >"$top/dovecot.conf" <<CONF
# Dovecot for $d in testbed $dir (written by testbed.sh --mua)
base_dir = $top/run
state_dir = $top/state
instance_name = im2k-$host-$net
protocols = imap lmtp
listen = $(address_of "$host")
ssl = required
ssl_cert = <$dir/ca/$host.pem
ssl_key = <$dir/ca/$host.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:$top/mail/%d/%n
mail_uid = $user
mail_gid = $group
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = $(id -un)
default_login_user = $login_user
log_path = $dir/logs/$host.log
passdb {
  driver = checkpassword
  args = $bin_dir/im2k-ims checkpassword --config $dir/mx.$d/ims.toml
  # checkpassword-reply reports the helper's own uid; mail belongs to mail_uid.
  override_fields = userdb_uid=$user userdb_gid=$group
}
userdb {
  driver = static
  args = home=$top/mail/%d/%n allow_all_users=yes
}
service lmtp {
  unix_listener $(lmtp_socket_of "$d") {
    mode = 0600
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = $imaps_port
    ssl = yes
  }
}
CONF
}

# The [delivery] table of the domain's IMS in --mua mode (instead of [mailbox]).
ims_delivery_section() { # DOMAIN
  printf '[delivery]\nmode = "lmtp"\nlmtp_socket = "%s"\nlmtp_timeout = "10s"\n' \
    "$(lmtp_socket_of "$1")"
}

imap_ready() { # SERVICE
  all_listening "$(address_of "$1")" "$imaps_port" && [ -S "$(lmtp_socket_of "${1#imap.}")" ]
}
