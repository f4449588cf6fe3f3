#include "core/secret_redactor.hpp"

#include <algorithm>

namespace dkimwatch {

SecretRedactor::SecretRedactor(std::vector<std::string> secrets) : m_secrets(std::move(secrets)) {
    std::erase_if(m_secrets,
                  [](const std::string& secret) { return secret.size() < k_min_secret_length; });
    std::sort(m_secrets.begin(), m_secrets.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() > b.size() : a < b;
    });
    m_secrets.erase(std::unique(m_secrets.begin(), m_secrets.end()), m_secrets.end());
}

std::string SecretRedactor::redact(std::string_view text) const {
    if (m_secrets.empty()) {
        return std::string(text);
    }
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const std::string_view rest = text.substr(i);
        const auto match =
            std::find_if(m_secrets.begin(), m_secrets.end(),
                         [rest](const std::string& secret) { return rest.starts_with(secret); });
        if (match != m_secrets.end()) {
            out += k_redacted_marker;
            i += match->size();
        } else {
            out += text[i];
            ++i;
        }
    }
    return out;
}

std::vector<std::string> url_secret_parts(std::string_view url, bool path_is_secret) {
    std::vector<std::string> parts;
    if (url.empty()) {
        return parts;
    }
    parts.emplace_back(url);
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return parts;
    }
    const std::size_t authority_start = scheme_end + 3;
    const std::size_t authority_end =
        std::min(url.find_first_of("/?#\\", authority_start), url.size());
    const std::string_view authority = url.substr(authority_start, authority_end - authority_start);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        parts.emplace_back(authority.substr(0, at));
    }
    const std::size_t fragment = std::min(url.find('#', authority_end), url.size());
    const std::size_t query = std::min(url.find('?', authority_end), fragment);
    if (path_is_secret && query > authority_end) {
        std::string_view path = url.substr(authority_end, query - authority_end);
        while (path.starts_with('/') || path.starts_with('\\')) {
            path.remove_prefix(1);
        }
        if (!path.empty()) {
            parts.emplace_back(path);
        }
    }
    if (query + 1 < fragment) {
        parts.emplace_back(url.substr(query + 1, fragment - query - 1));
    }
    return parts;
}

} // namespace dkimwatch
