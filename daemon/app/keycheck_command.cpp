#include "app/keycheck_command.hpp"

#include "app/check_report.hpp"
#include "app/resolver_setup.hpp"
#include "config/file_limits.hpp"
#include "core/dns_name.hpp"
#include "core/evaluator.hpp"
#include "core/public_key.hpp"
#include "core/selector.hpp"
#include "core/sweep.hpp"
#include "core/txt_rendering.hpp"
#include "dns/async_resolver.hpp"

#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace dkimwatch {
namespace {

constexpr int k_exit_ok = 0;
constexpr int k_exit_critical = 2;
constexpr int k_exit_unknown = 3;

// "( "abc..." "def..." )": the zone-file TXT data, one 255-byte string per line.
std::string zone_file_form(const std::string& name, const std::vector<std::string>& strings) {
    std::string out = name + ". 3600 IN TXT (";
    for (const auto& piece : strings) {
        out += "\n    \"" + escape_txt_string(piece) + "\"";
    }
    out += " )";
    return out;
}

int fail(const KeycheckOptions& options, int code, const std::string& message) {
    if (options.format == "json") {
        nlohmann::ordered_json document;
        document["ok"] = false;
        document["error"] = message;
        std::cout << document.dump(2) << "\n";
    } else {
        std::cerr << "dkimwatch keycheck: " << message << "\n";
    }
    return code;
}

} // namespace

int run_keycheck_command(const KeycheckOptions& options) {
    if (auto reason = invalid_domain_reason(options.domain)) {
        return fail(options, k_exit_unknown, "--domain \"" + options.domain + "\" " + *reason);
    }
    if (auto reason = invalid_selector_reason(options.selector)) {
        return fail(options, k_exit_critical, "selector \"" + options.selector + "\" " + *reason);
    }
    const bool from_private = !options.private_key_file.empty();
    const std::string& key_path = from_private ? options.private_key_file : options.public_key_file;
    auto content = read_bounded_file(key_path, key_file_limit());
    if (!content) {
        return fail(options, k_exit_unknown, content.error().to_string());
    }
    auto loaded = load_byodkim_key(*content);
    if (!loaded) {
        return fail(options, k_exit_critical, key_path + ": " + loaded.error());
    }
    if (loaded->from_private_key != from_private) {
        return fail(options, k_exit_unknown,
                    key_path + " holds a " + (loaded->from_private_key ? "private" : "public") +
                        " key; pass it with " +
                        (loaded->from_private_key ? "--private-key" : "--public-key"));
    }

    Identity identity;
    identity.domain = canonical_name(options.domain);
    identity.account = "keycheck";
    identity.region = "-";
    Byodkim byodkim;
    byodkim.selector = canonical_name(options.selector);
    byodkim.public_key_der = loaded->key.canonical_der;
    byodkim.key_bits = loaded->key.bits;
    byodkim.key_source = key_path;
    identity.method = byodkim;

    const RecordExpectation expectation = expectations_for(identity).front();
    const std::string value = expected_value(expectation);
    const std::vector<std::string> strings = split_txt_value(value);

    std::optional<IdentityReport> published;
    std::string lookup_error;
    if (!options.offline) {
        auto dns = dns_settings_for_command(options.config_path, options.resolvers);
        auto settings =
            dns ? resolver_settings_for(*dns) : Result<ResolverSettings>(Error{dns.error()});
        if (!settings) {
            lookup_error = settings.error();
        } else {
            AsyncResolver resolver(std::move(settings).value());
            const std::vector<Identity> identities{identity};
            auto reports = run_sweep(identities, resolver);
            published = std::move(reports.front());
            published->identity = nullptr; // points into `identities`, which goes away
        }
    }

    int exit_code = k_exit_ok;
    if (published) {
        exit_code = check_exit_code({*published});
    } else if (!lookup_error.empty()) {
        exit_code = k_exit_unknown;
    } else if (loaded->key.bits == 1024) {
        exit_code = 1; // usable, but RFC 8301 says 2048
    }

    if (options.format == "json") {
        nlohmann::ordered_json document;
        document["ok"] = exit_code == k_exit_ok;
        document["domain"] = identity.domain;
        document["selector"] = byodkim.selector;
        document["record_name"] = expectation.name;
        document["key"] = {{"algorithm", "rsa"},
                           {"bits", loaded->key.bits},
                           {"format", loaded->format},
                           {"from_private_key", loaded->from_private_key}};
        document["txt_value"] = value;
        document["txt_strings"] = strings;
        document["zone_file"] = zone_file_form(expectation.name, strings);
        if (published) {
            const RecordVerdict& verdict = published->records.front();
            document["published"] = {{"verdict", verdict_code_name(verdict.code)},
                                     {"severity", severity_name(verdict.severity)},
                                     {"observed", verdict.observed
                                                      ? nlohmann::ordered_json(*verdict.observed)
                                                      : nlohmann::ordered_json(nullptr)},
                                     {"message", verdict.message}};
        } else {
            document["published"] = nullptr;
            if (!lookup_error.empty()) {
                document["lookup_error"] = lookup_error;
            }
        }
        std::cout << document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return exit_code;
    }

    std::cout << "Selector:   " << byodkim.selector << " (meets the SES rule)\n"
              << "Key:        RSA " << loaded->key.bits << "-bit, " << loaded->format << " ("
              << key_path << ")"
              << (loaded->key.bits == 1024 ? "\n            warning: RFC 8301 says signers "
                                             "should use 2048-bit keys"
                                           : "")
              << "\n"
              << "Record:     " << expectation.name << " TXT\n\n"
              << "Zone-file form (strings of at most 255 bytes):\n"
              << zone_file_form(expectation.name, strings) << "\n\n"
              << "Single line, for web consoles that take the value in one field:\n"
              << value << "\n\n";
    if (published) {
        const RecordVerdict& verdict = published->records.front();
        std::cout << "Published now: " << verdict_code_name(verdict.code) << " ("
                  << severity_name(verdict.severity) << ")\n"
                  << "  observed: " << (verdict.observed ? *verdict.observed : "(nothing)")
                  << "\n  " << verdict.message << "\n";
    } else if (!lookup_error.empty()) {
        std::cout << "Published now: not checked: " << lookup_error << "\n";
    } else {
        std::cout << "Published now: not checked (--offline)\n";
    }
    return exit_code;
}

} // namespace dkimwatch
