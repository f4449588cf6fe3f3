#include "dkim/organizational_domain.hpp"

#include <libpsl.h>

namespace dkimwatch {

namespace {

// Loaded once; libpsl's context is read-only after loading, so sharing it across threads is safe.
const psl_ctx_t* public_suffix_list() {
    static const psl_ctx_t* const list = [] {
        const psl_ctx_t* latest = psl_latest(nullptr);
        return latest != nullptr ? latest : psl_builtin();
    }();
    return list;
}

} // namespace

std::string organizational_domain(std::string_view name) {
    const std::string text(name);
    const psl_ctx_t* list = public_suffix_list();
    if (list == nullptr || text.empty()) {
        return text;
    }
    const char* registrable = psl_registrable_domain(list, text.c_str());
    return registrable != nullptr ? std::string(registrable) : text;
}

} // namespace dkimwatch
