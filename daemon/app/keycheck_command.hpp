#pragma once
// `dkimwatch keycheck`: the BYODKIM preflight. Checks a selector and a key file the way SES
// will, prints the record to publish, and looks at what is published now.

#include "core/server_address.hpp"

#include <string>
#include <vector>

namespace dkimwatch {

struct KeycheckOptions {
    std::string domain;
    std::string selector;
    std::string private_key_file; // exactly one of the two key files
    std::string public_key_file;
    std::string config_path;            // optional: take dns settings from it
    std::vector<std::string> resolvers; // optional: overrides config and resolv.conf
    bool offline = false;               // skip the DNS lookup
    std::string format = "text";        // "text" or "json"
};

// Exit codes: 0 key and published record fine; 1 warning (e.g. 1024-bit key); 2 the selector
// or key is unacceptable to SES, or the published record is wrong; 3 unreadable input, usage
// errors or an indeterminate lookup.
int run_keycheck_command(const KeycheckOptions& options);

} // namespace dkimwatch
