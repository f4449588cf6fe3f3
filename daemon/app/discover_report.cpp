#include "app/discover_report.hpp"

#include "core/duration.hpp"

#include <nlohmann/json.hpp>

namespace dkimwatch {
namespace {

using Json = nlohmann::ordered_json;

const char* method_of(const SesDomainIdentity& identity) {
    return identity.is_byodkim() ? "byodkim" : "easy_dkim";
}

Json identity_json(const SesDomainIdentity& identity) {
    Json entry;
    entry["domain"] = identity.domain;
    entry["method"] = method_of(identity);
    entry["tokens"] = identity.is_byodkim() ? Json::array() : Json(identity.tokens);
    entry["selector"] = identity.is_byodkim() && !identity.tokens.empty()
                            ? Json(identity.tokens.front())
                            : Json(nullptr);
    entry["signing_hosted_zone"] =
        identity.signing_hosted_zone.empty() ? Json(nullptr) : Json(identity.signing_hosted_zone);
    entry["ses_status"] = identity.status_text.empty() ? Json(nullptr) : Json(identity.status_text);
    entry["signing_enabled"] = identity.signing_enabled;
    entry["origin"] = identity.origin.empty() ? Json(nullptr) : Json(identity.origin);
    entry["current_key_length"] =
        identity.current_key_length.empty() ? Json(nullptr) : Json(identity.current_key_length);
    entry["email_identities"] = identity.email_identities;
    return entry;
}

} // namespace

std::string render_discover_json(const DiscoverRun& run) {
    Json document;
    document["discovered_at"] = format_utc_timestamp(run.discovered_at);
    Json sources = Json::array();
    for (const auto& outcome : run.sources) {
        Json source;
        source["name"] = outcome.name;
        source["account"] = outcome.account.empty() ? Json(nullptr) : Json(outcome.account);
        source["region"] = outcome.region;
        source["ok"] = outcome.ok();
        source["error"] = outcome.ok() ? Json(nullptr) : Json(outcome.error);
        Json identities = Json::array();
        if (outcome.inventory) {
            for (const auto& identity : outcome.inventory->domains) {
                identities.push_back(identity_json(identity));
            }
        }
        source["identities"] = std::move(identities);
        sources.push_back(std::move(source));
    }
    document["sources"] = std::move(sources);
    return document.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string render_discover_text(const DiscoverRun& run) {
    std::string out = "dkimwatch discover at " + format_utc_timestamp(run.discovered_at) + ": " +
                      std::to_string(run.sources.size()) + " sources\n";
    for (const auto& outcome : run.sources) {
        out += "\n" + outcome.name + " " +
               (outcome.account.empty() ? "(account unknown)" : outcome.account) + " " +
               outcome.region + ": ";
        if (!outcome.inventory) {
            out += "FAILED: " + outcome.error + "\n";
            continue;
        }
        out += std::to_string(outcome.inventory->domains.size()) + " domain identities\n";
        for (const auto& identity : outcome.inventory->domains) {
            out += "  " + identity.domain + "  " + method_of(identity) + "  SES " +
                   (identity.status_text.empty() ? "(no DKIM status)" : identity.status_text) +
                   "  signing " + (identity.signing_enabled ? "enabled" : "DISABLED");
            if (!identity.current_key_length.empty()) {
                out += "  " + identity.current_key_length;
            }
            out += "\n";
            for (const auto& address : identity.email_identities) {
                out += "    verified address " + address +
                       ": its mail is not signed with the domain's key\n";
            }
        }
    }
    return out;
}

std::string render_discover_identities(const DiscoverRun& run) {
    std::string out = "# dkimwatch identities_file, written by `dkimwatch discover` at " +
                      format_utc_timestamp(run.discovered_at) +
                      "\n# domain,account,region,easy_dkim,TOKEN1 TOKEN2 TOKEN3,SIGNING_HOSTED_ZONE"
                      "\n# domain,account,region,byodkim,SELECTOR,KEY\n";
    for (const auto& outcome : run.sources) {
        if (!outcome.inventory) {
            out += "# " + outcome.name + " " + outcome.region +
                   ": not listed (the sync failed): " + outcome.error + "\n";
            continue;
        }
        const SesInventory& inventory = *outcome.inventory;
        for (const auto& identity : inventory.domains) {
            const std::string prefix =
                identity.domain + "," + inventory.account + "," + inventory.region + ",";
            if (identity.is_byodkim()) {
                const std::string selector =
                    identity.tokens.empty() ? "SELECTOR" : identity.tokens.front();
                out += "# " + prefix + "byodkim," + selector +
                       ",public_key_file:PATH  <- SES does not return BYODKIM public keys: "
                       "give yours (the daemon checks the record without it)\n";
                continue;
            }
            if (identity.tokens.size() != 3) {
                out += "# " + prefix + " has no Easy DKIM tokens in SES (DKIM not set up)\n";
                continue;
            }
            out += prefix + "easy_dkim," + identity.tokens[0] + " " + identity.tokens[1] + " " +
                   identity.tokens[2];
            if (!identity.signing_hosted_zone.empty()) {
                out += "," + identity.signing_hosted_zone;
            }
            out += "\n";
        }
    }
    return out;
}

int discover_exit_code(const DiscoverRun& run) {
    for (const auto& outcome : run.sources) {
        if (!outcome.ok()) {
            return 3;
        }
    }
    return 0;
}

} // namespace dkimwatch
