#include "dns/trust_anchors.hpp"

#include "core/dns_name.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <ldns/ldns.h>
#include <sstream>

namespace dkimwatch {

namespace {

// A trust anchor file is a handful of lines; a bigger one is a mistake, not a file to read.
constexpr std::size_t k_max_file_bytes = 1024 * 1024;
constexpr std::size_t k_max_anchors = 1000;

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
struct RdfDeleter {
    void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;

std::string owner_text(const ldns_rr* rr) {
    const ldns_rdf* owner = ldns_rr_owner(rr);
    if (ldns_dname_label_count(owner) == 0) {
        return ".";
    }
    char* text = ldns_rdf2str(owner);
    std::string name = text != nullptr ? canonical_name(text) : std::string();
    std::free(text);
    return name;
}

} // namespace

struct TrustAnchors::Records {
    ldns_rr_list* list = ldns_rr_list_new();
    Records() = default;
    Records(const Records&) = delete;
    Records& operator=(const Records&) = delete;
    ~Records() { ldns_rr_list_deep_free(list); }
};

TrustAnchors::TrustAnchors(std::unique_ptr<Records> records) : m_records(std::move(records)) {}
TrustAnchors::TrustAnchors(TrustAnchors&&) noexcept = default;
TrustAnchors& TrustAnchors::operator=(TrustAnchors&&) noexcept = default;
TrustAnchors::~TrustAnchors() = default;

const ldns_struct_rr_list* TrustAnchors::records() const {
    return m_records->list;
}

std::vector<std::string> TrustAnchors::zones() const {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(m_records->list); ++i) {
        names.push_back(owner_text(ldns_rr_list_rr(m_records->list, i)));
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

Result<TrustAnchors> load_trust_anchors_from_text(const std::string& text,
                                                  const std::string& origin_for_errors) {
    if (text.empty()) {
        return Error{origin_for_errors + ": no DS or DNSKEY record"};
    }
    std::unique_ptr<std::FILE, FileCloser> file(
        fmemopen(const_cast<char*>(text.data()), text.size(), "r"));
    if (!file) {
        return Error{origin_for_errors + ": cannot read: " + std::strerror(errno)};
    }
    auto records = std::make_unique<TrustAnchors::Records>();
    std::uint32_t default_ttl = 3600;
    ldns_rdf* origin_raw = ldns_dname_new_frm_str(".");
    ldns_rdf* previous_raw = nullptr;
    // ldns counts the newlines it has read: after a record, the number of its last line.
    int line = 0;
    std::string error;
    // "<origin>:<line>" of the record just read (a last line without newline counts too).
    auto where = [&] {
        const bool unterminated = std::feof(file.get()) && text.back() != '\n';
        return origin_for_errors + ":" + std::to_string(line + (unterminated ? 1 : 0));
    };
    while (!std::feof(file.get())) {
        ldns_rr* rr = nullptr;
        const ldns_status status =
            ldns_rr_new_frm_fp_l(&rr, file.get(), &default_ttl, &origin_raw, &previous_raw, &line);
        if (status == LDNS_STATUS_SYNTAX_EMPTY || status == LDNS_STATUS_SYNTAX_TTL ||
            status == LDNS_STATUS_SYNTAX_ORIGIN || status == LDNS_STATUS_SYNTAX_INCLUDE) {
            if (status == LDNS_STATUS_SYNTAX_INCLUDE) {
                error = where() + ": $INCLUDE is not supported in a trust anchor file";
                break;
            }
            continue;
        }
        if (status != LDNS_STATUS_OK) {
            error = where() + ": " + ldns_get_errorstr_by_id(status);
            break;
        }
        const ldns_rr_type type = ldns_rr_get_type(rr);
        if (type != LDNS_RR_TYPE_DS && type != LDNS_RR_TYPE_DNSKEY) {
            char* type_text = ldns_rr_type2str(type);
            error = where() + ": a " + (type_text != nullptr ? type_text : "?") +
                    " record is not a trust anchor (DS or DNSKEY expected)";
            std::free(type_text);
            ldns_rr_free(rr);
            break;
        }
        if (ldns_rr_list_rr_count(records->list) >= k_max_anchors) {
            ldns_rr_free(rr);
            error = where() + ": more than " + std::to_string(k_max_anchors) + " anchors";
            break;
        }
        ldns_rr_list_push_rr(records->list, rr);
    }
    RdfPtr origin(origin_raw);
    RdfPtr previous(previous_raw);
    if (!error.empty()) {
        return Error{error};
    }
    if (ldns_rr_list_rr_count(records->list) == 0) {
        return Error{origin_for_errors + ": no DS or DNSKEY record"};
    }
    return TrustAnchors(std::move(records));
}

Result<TrustAnchors> load_trust_anchors(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error{path + ": cannot read: " + std::strerror(errno)};
    }
    std::string text;
    char buffer[4096];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > k_max_file_bytes) {
            return Error{path + ": cannot read: larger than 1 MiB"};
        }
    }
    if (in.bad()) {
        return Error{path + ": cannot read: " + std::strerror(errno)};
    }
    return load_trust_anchors_from_text(text, path);
}

} // namespace dkimwatch
