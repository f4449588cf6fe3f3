#include "core/identity.hpp"

namespace dkimwatch {

const char* Identity::method_name() const {
    return std::holds_alternative<EasyDkim>(method) ? "easy_dkim" : "byodkim";
}

std::string IdentityKey::to_string() const {
    return account + "/" + region + "/" + domain;
}

} // namespace dkimwatch
