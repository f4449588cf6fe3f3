#include "aws/sts_xml.hpp"

#include "aws/aws_time.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits>
#include <memory>
#include <optional>

namespace dkimwatch {
namespace {

struct DocFree {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using Document = std::unique_ptr<xmlDoc, DocFree>;

Document read_document(std::string_view body) {
    if (body.empty() || body.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return nullptr;
    }
    // No network, no entity substitution, no DTD loading, no messages on stderr.
    constexpr int k_options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    return Document(
        xmlReadMemory(body.data(), static_cast<int>(body.size()), "sts.xml", nullptr, k_options));
}

bool named(const xmlNode* node, const char* name) {
    return node != nullptr && node->type == XML_ELEMENT_NODE &&
           std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0;
}

const xmlNode* child(const xmlNode* parent, const char* name) {
    if (parent == nullptr) {
        return nullptr;
    }
    for (const xmlNode* node = parent->children; node != nullptr; node = node->next) {
        if (named(node, name)) {
            return node;
        }
    }
    return nullptr;
}

// The trimmed text of an element, nullopt when the element is missing.
std::optional<std::string> text_of(const xmlNode* node) {
    if (node == nullptr) {
        return std::nullopt;
    }
    xmlChar* content = xmlNodeGetContent(node);
    std::string text = content != nullptr ? reinterpret_cast<const char*>(content) : "";
    xmlFree(content);
    const auto not_space = [](unsigned char c) { return std::isspace(c) == 0; };
    text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
    text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
    return text;
}

std::string sanitise(std::string_view text, std::size_t max_bytes) {
    std::string clean;
    for (const char c : text.substr(0, max_bytes)) {
        const auto byte = static_cast<unsigned char>(c);
        clean += (byte < 0x20 || byte >= 0x7f) ? ' ' : c;
    }
    if (text.size() > max_bytes) {
        clean += "...";
    }
    return clean;
}

Result<const xmlNode*> result_element(const Document& doc, std::string_view body,
                                      const char* response, const char* result) {
    const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    if (root == nullptr) {
        return Error{std::string(response) + ": the answer is " + describe_unexpected_body(body) +
                     ", not an XML document"};
    }
    if (!named(root, response)) {
        return Error{std::string(response) + ": the XML answer is a " +
                     sanitise(reinterpret_cast<const char*>(root->name), 60) + ", not a " +
                     response};
    }
    const xmlNode* element = child(root, result);
    if (element == nullptr) {
        return Error{std::string(response) + ": no " + result + " element"};
    }
    return element;
}

} // namespace

Result<AwsCredentials> parse_assume_role_response(std::string_view body,
                                                  std::string_view role_arn) {
    const Document doc = read_document(body);
    auto result = result_element(doc, body, "AssumeRoleResponse", "AssumeRoleResult");
    if (!result) {
        return Error{result.error()};
    }
    const xmlNode* credentials = child(*result, "Credentials");
    if (credentials == nullptr) {
        return Error{"AssumeRoleResponse: no Credentials element"};
    }
    AwsCredentials out;
    struct Field {
        const char* name;
        std::string* target;
    };
    std::string expiration;
    for (const Field& field :
         {Field{"AccessKeyId", &out.access_key_id},
          Field{"SecretAccessKey", &out.secret_access_key},
          Field{"SessionToken", &out.session_token}, Field{"Expiration", &expiration}}) {
        auto text = text_of(child(credentials, field.name));
        if (!text || text->empty()) {
            return Error{std::string("AssumeRoleResponse: Credentials has no ") + field.name};
        }
        *field.target = std::move(*text);
    }
    out.expiration = parse_iso8601_timestamp(expiration);
    if (!out.expiration) {
        return Error{"AssumeRoleResponse: Credentials.Expiration is not an ISO 8601 timestamp"};
    }
    out.source = "assumed role " + std::string(role_arn);
    return out;
}

Result<std::string> parse_caller_identity_response(std::string_view body) {
    const Document doc = read_document(body);
    auto result = result_element(doc, body, "GetCallerIdentityResponse", "GetCallerIdentityResult");
    if (!result) {
        return Error{result.error()};
    }
    auto account = text_of(child(*result, "Account"));
    if (!account) {
        return Error{"GetCallerIdentityResponse: no Account element"};
    }
    if (account->size() != 12 ||
        !std::all_of(account->begin(), account->end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; })) {
        return Error{"GetCallerIdentityResponse: the Account is not 12 digits"};
    }
    return std::move(*account);
}

AwsErrorInfo parse_sts_error(std::string_view body) {
    AwsErrorInfo info;
    const Document doc = read_document(body);
    const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    const xmlNode* error = named(root, "Error") ? root : child(root, "Error");
    if (error == nullptr) {
        return info;
    }
    info.code = sanitise(text_of(child(error, "Code")).value_or(""), 100);
    info.message = sanitise(text_of(child(error, "Message")).value_or(""), 200);
    return info;
}

} // namespace dkimwatch
