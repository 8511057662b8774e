// `im2k-ims checkpassword --config FILE REPLY...`: Dovecot's passdb checks the IMS's users with
// their IMS passwords ([I-7]), by the checkpassword protocol (the qmail interface Dovecot's
// passdb checkpassword speaks): "user\0password\0timestamp\0" on fd 3, at most 512 octets; on a
// match the program sets USER to the address as the IMS keeps it and executes REPLY (Dovecot's
// checkpassword-reply); exit 1 for a wrong password or an unknown user, 111 for a temporary
// failure. No password is logged; the KDF runs for an unknown user too ([U-3]).
#pragma once

#include <string>
#include <vector>

namespace im2k::ims {

int checkpassword_command(const std::string& config_path, const std::vector<std::string>& reply);

}  // namespace im2k::ims
