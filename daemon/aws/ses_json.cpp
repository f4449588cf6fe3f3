#include "aws/ses_json.hpp"

#include "aws/aws_time.hpp"
#include "core/dns_name.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace dkimwatch {
namespace {

using nlohmann::json;

std::string sanitise(std::string_view text, std::size_t max_bytes = 200) {
    std::string clean;
    for (const char c : text) {
        if (clean.size() >= max_bytes) {
            clean += "...";
            break;
        }
        const auto byte = static_cast<unsigned char>(c);
        clean += (byte < 0x20 || byte >= 0x7f) ? ' ' : c;
    }
    return clean;
}

bool looks_like_html(std::string_view body) {
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front()))) {
        body.remove_prefix(1);
    }
    return !body.empty() && body.front() == '<';
}

Result<json> parse_object(std::string_view body, std::string_view what) {
    if (body.empty() || looks_like_html(body)) {
        return Error{std::string(what) + ": the answer is " + describe_unexpected_body(body) +
                     ", not JSON"};
    }
    json document = json::parse(body, nullptr, false);
    if (document.is_discarded()) {
        return Error{std::string(what) + ": malformed or truncated JSON (" +
                     std::to_string(body.size()) + " bytes)"};
    }
    if (!document.is_object()) {
        return Error{std::string(what) + ": the answer is JSON but not an object"};
    }
    return document;
}

// The member `key` of `object` when it is a string; "" when null or absent; an error when it
// has another type.
Result<std::string> optional_string(const json& object, const char* key, std::string_view what) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::string();
    }
    if (!it->is_string()) {
        return Error{std::string(what) + ": " + key + " is not a string"};
    }
    return it->get<std::string>();
}

Result<bool> optional_bool(const json& object, const char* key, std::string_view what) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return false;
    }
    if (!it->is_boolean()) {
        return Error{std::string(what) + ": " + key + " is not a boolean"};
    }
    return it->get<bool>();
}

// A timestamp member in either form; absent or null is fine, anything else unreadable is an
// error.
std::optional<std::string> timestamp_problem(const json& object, const char* key,
                                             std::string_view what) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::nullopt;
    }
    if (it->is_number() && epoch_seconds_to_time(it->get<double>())) {
        return std::nullopt;
    }
    if (it->is_string() && parse_iso8601_timestamp(it->get<std::string>())) {
        return std::nullopt;
    }
    return std::string(what) + ": " + key + " is neither epoch seconds nor an ISO 8601 timestamp";
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string strip_error_prefix(std::string code) {
    if (const auto hash = code.rfind('#'); hash != std::string::npos) {
        code = code.substr(hash + 1);
    }
    if (const auto colon = code.find(':'); colon != std::string::npos) {
        code = code.substr(0, colon);
    }
    return code;
}

} // namespace

std::string describe_unexpected_body(std::string_view body) {
    if (body.empty()) {
        return "an empty body";
    }
    if (looks_like_html(body)) {
        return "an HTML page or XML document (" + std::to_string(body.size()) + " bytes)";
    }
    return std::to_string(body.size()) + " bytes of something else";
}

Result<SesIdentityPage> parse_list_email_identities(std::string_view body) {
    constexpr std::string_view what = "ListEmailIdentities";
    auto document = parse_object(body, what);
    if (!document) {
        return Error{document.error()};
    }
    const json& root = *document;
    SesIdentityPage page;
    auto next_token = optional_string(root, "NextToken", what);
    if (!next_token) {
        return Error{next_token.error()};
    }
    page.next_token = std::move(next_token).value();
    const auto list = root.find("EmailIdentities");
    if (list == root.end() || list->is_null()) {
        return page;
    }
    if (!list->is_array()) {
        return Error{std::string(what) + ": EmailIdentities is not a list"};
    }
    if (list->size() > k_ses_max_page_identities) {
        return Error{std::string(what) + ": a page holds " + std::to_string(list->size()) +
                     " identities, more than the " + std::to_string(k_ses_max_page_identities) +
                     " a page may hold"};
    }
    for (const json& entry : *list) {
        if (!entry.is_object()) {
            return Error{std::string(what) + ": an EmailIdentities entry is not an object"};
        }
        auto name = optional_string(entry, "IdentityName", what);
        auto type = optional_string(entry, "IdentityType", what);
        if (!name) {
            return Error{name.error()};
        }
        if (!type) {
            return Error{type.error()};
        }
        if (name->empty()) {
            continue;
        }
        page.identities.push_back({std::move(name).value(), std::move(type).value()});
    }
    return page;
}

Result<SesDomainIdentity> parse_get_email_identity(std::string_view domain, std::string_view body) {
    const std::string what = "GetEmailIdentity " + sanitise(domain, 253);
    auto document = parse_object(body, what);
    if (!document) {
        return Error{document.error()};
    }
    const json& root = *document;
    SesDomainIdentity identity;
    identity.domain = canonical_name(domain);
    auto type = optional_string(root, "IdentityType", what);
    if (!type) {
        return Error{type.error()};
    }
    if (!type->empty() && *type != "DOMAIN" && *type != "MANAGED_DOMAIN") {
        return Error{what + ": the identity is of type " + sanitise(*type, 40) + ", not DOMAIN"};
    }
    const auto dkim = root.find("DkimAttributes");
    if (dkim == root.end() || dkim->is_null()) {
        return identity;
    }
    if (!dkim->is_object()) {
        return Error{what + ": DkimAttributes is not an object"};
    }
    auto signing_enabled = optional_bool(*dkim, "SigningEnabled", what);
    auto status = optional_string(*dkim, "Status", what);
    auto origin = optional_string(*dkim, "SigningAttributesOrigin", what);
    auto zone = optional_string(*dkim, "SigningHostedZone", what);
    auto key_length = optional_string(*dkim, "CurrentSigningKeyLength", what);
    for (const std::string* error :
         {signing_enabled ? nullptr : &signing_enabled.error(), status ? nullptr : &status.error(),
          origin ? nullptr : &origin.error(), zone ? nullptr : &zone.error(),
          key_length ? nullptr : &key_length.error()}) {
        if (error != nullptr) {
            return Error{*error};
        }
    }
    for (const char* key : {"LastKeyGenerationTimestamp", "NextSigningKeyGenerationTimestamp"}) {
        if (auto problem = timestamp_problem(*dkim, key, what)) {
            return Error{*problem};
        }
    }
    identity.signing_enabled = *signing_enabled;
    identity.status_text = std::move(status).value();
    identity.status = parse_ses_dkim_status(identity.status_text);
    identity.origin = std::move(origin).value();
    identity.signing_hosted_zone = zone->empty() ? std::string() : canonical_name(*zone);
    identity.current_key_length = std::move(key_length).value();
    const auto tokens = dkim->find("Tokens");
    if (tokens != dkim->end() && !tokens->is_null()) {
        if (!tokens->is_array()) {
            return Error{what + ": DkimAttributes.Tokens is not a list"};
        }
        if (tokens->size() > 16) {
            return Error{what + ": DkimAttributes.Tokens holds " + std::to_string(tokens->size()) +
                         " entries, more than 16"};
        }
        for (const json& token : *tokens) {
            if (!token.is_string()) {
                return Error{what + ": a DkimAttributes.Tokens entry is not a string"};
            }
            auto text = lowercase(token.get<std::string>());
            if (auto reason = invalid_label_reason(text)) {
                return Error{what + ": a DkimAttributes.Tokens entry is not a DNS label (" +
                             *reason + ")"};
            }
            identity.tokens.push_back(std::move(text));
        }
    }
    return identity;
}

AwsErrorInfo parse_aws_json_error(std::string_view error_type_header, std::string_view body) {
    AwsErrorInfo info;
    info.code = sanitise(strip_error_prefix(std::string(error_type_header)), 100);
    const json document = json::parse(body, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return info;
    }
    if (info.code.empty()) {
        for (const char* key : {"__type", "code", "Code"}) {
            const auto it = document.find(key);
            if (it != document.end() && it->is_string()) {
                info.code = sanitise(strip_error_prefix(it->get<std::string>()), 100);
                break;
            }
        }
    }
    for (const char* key : {"message", "Message"}) {
        const auto it = document.find(key);
        if (it != document.end() && it->is_string()) {
            info.message = sanitise(it->get<std::string>());
            break;
        }
    }
    return info;
}

} // namespace dkimwatch
