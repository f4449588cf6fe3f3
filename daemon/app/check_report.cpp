#include "app/check_report.hpp"

#include "app/record_json.hpp"
#include "core/duration.hpp"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

namespace dkimwatch {

namespace {

using Json = nlohmann::ordered_json;

const std::optional<SesCheckInfo>& ses_of(const CheckRun& run, std::size_t index) {
    static const std::optional<SesCheckInfo> none;
    return index < run.ses.size() ? run.ses[index] : none;
}

// The worst of the records' and the findings' severities.
Severity worst_of(const CheckRun& run, std::size_t index) {
    Severity worst = run.reports[index].worst;
    if (const auto& ses = ses_of(run, index)) {
        for (const auto& finding : ses->findings) {
            if (severity_rank(finding.severity) > severity_rank(worst)) {
                worst = finding.severity;
            }
        }
    }
    return worst;
}

std::string dump(const Json& value) {
    return value.dump(2, ' ', false, Json::error_handler_t::replace);
}

Json ses_json(const std::optional<SesCheckInfo>& info) {
    if (!info) {
        return Json(nullptr);
    }
    Json entry;
    entry["status"] = info->status.empty() ? Json(nullptr) : Json(info->status);
    entry["signing_enabled"] = info->listed ? Json(info->signing_enabled) : Json(nullptr);
    entry["origin"] = info->origin.empty() ? Json(nullptr) : Json(info->origin);
    entry["synced_at"] = info->listed ? Json(format_utc_timestamp(info->synced_at)) : Json(nullptr);
    entry["findings"] = ses_findings_json(info->findings);
    return entry;
}

std::string_view or_empty_marker(std::string_view text, std::string_view marker) {
    return text.empty() ? marker : text;
}

// One element of "identities".
// `worst`: of the records and the SES findings.
Json identity_json(const IdentityReport& report, const std::optional<SesCheckInfo>& ses,
                   Severity worst) {
    const Identity& identity = *report.identity;
    Json entry;
    entry["domain"] = identity.domain;
    entry["account"] = identity.account;
    entry["region"] = identity.region;
    entry["method"] = identity.method_name();
    entry["status"] = identity_status_name(worst);
    Json records = Json::array();
    for (const auto& record : report.records) {
        records.push_back(record_json(record));
    }
    entry["records"] = std::move(records);
    entry["ses"] = ses_json(ses);
    return entry;
}

} // namespace

void write_check_json(const CheckRun& run, std::ostream& out) {
    // The same bytes as one document dumped with an indent of 2, written one identity at a time
    // so that memory does not grow with the inventory (a whole document of 100,000 identities
    // took about 750 MB). An element sits two levels deep: its lines are indented by 4 more
    // (JSON strings never hold a raw newline, so every '\n' is a line break of the layout).
    out << "{\n  \"checked_at\": " << dump(Json(format_utc_timestamp(run.checked_at)));
    if (!is_whole_inventory(run.shard)) {
        out << ",\n  \"shard\": " << dump(Json(shard_text(run.shard)))
            << ",\n  \"shard_skipped\": " << run.shard_skipped;
    }
    out << ",\n  \"identities\": ";
    const std::string failures = dump(Json(run.ses_failures));
    if (run.reports.empty()) {
        out << "[],\n  \"ses_failures\": " << failures << "\n}\n";
        return;
    }
    out << "[\n";
    for (std::size_t index = 0; index < run.reports.size(); ++index) {
        const std::string element =
            dump(identity_json(run.reports[index], ses_of(run, index), worst_of(run, index)));
        out << "    ";
        std::size_t start = 0;
        for (std::size_t newline = element.find('\n'); newline != std::string::npos;
             newline = element.find('\n', start)) {
            out.write(element.data() + start, static_cast<std::streamsize>(newline + 1 - start));
            out << "    ";
            start = newline + 1;
        }
        out.write(element.data() + start, static_cast<std::streamsize>(element.size() - start));
        out << (index + 1 < run.reports.size() ? ",\n" : "\n");
    }
    out << "  ],\n  \"ses_failures\": " << failures << "\n}\n";
}

std::string render_check_json(const CheckRun& run) {
    std::ostringstream out;
    write_check_json(run, out);
    return std::move(out).str();
}

namespace {

struct Row {
    const IdentityReport* report;
    const RecordVerdict* record;
};

std::string pad(std::string text, std::size_t width) {
    if (text.size() < width) {
        text.append(width - text.size(), ' ');
    }
    return text;
}

// The servers are worth listing: one is lame, or they do not all give the same verdict and value.
bool servers_disagree(const RecordVerdict& record) {
    const auto& servers = record.authoritative;
    return std::any_of(servers.begin(), servers.end(), [&](const AuthoritativeAnswer& answer) {
        return answer.lame || answer.verdict != servers.front().verdict ||
               answer.observed != servers.front().observed;
    });
}

// The per-server lines under a record: name, address, serial, then the verdict and what it
// served (or "lame" and why), aligned in columns.
std::string server_lines(const RecordVerdict& record) {
    struct Line {
        std::string server, address, serial, verdict, observed;
    };
    std::vector<Line> lines;
    std::size_t widths[4] = {0, 0, 0, 0};
    for (const auto& answer : record.authoritative) {
        Line line{answer.server, answer.address,
                  answer.serial ? "serial " + std::to_string(*answer.serial) : "serial -",
                  answer.lame ? "lame" : verdict_code_name(answer.verdict),
                  answer.lame       ? std::string(or_empty_marker(answer.detail, "(no detail)"))
                  : answer.observed ? *answer.observed
                                    : "(nothing)"};
        widths[0] = std::max(widths[0], line.server.size());
        widths[1] = std::max(widths[1], line.address.size());
        widths[2] = std::max(widths[2], line.serial.size());
        widths[3] = std::max(widths[3], line.verdict.size());
        lines.push_back(std::move(line));
    }
    std::string out = "         authoritative servers of " +
                      std::string(or_empty_marker(record.zone, "the zone")) + ":\n";
    for (const auto& line : lines) {
        out += "           " + pad(line.server, widths[0]) + "  " + pad(line.address, widths[1]) +
               "  " + pad(line.serial, widths[2]) + "  " + pad(line.verdict, widths[3]) + "  " +
               line.observed + "\n";
    }
    return out;
}

} // namespace

std::string render_check_text(const CheckRun& run) {
    std::vector<Row> rows;
    std::size_t counts[4] = {0, 0, 0, 0};
    std::size_t name_width = 0;
    for (const auto& report : run.reports) {
        for (const auto& record : report.records) {
            rows.push_back({&report, &record});
            ++counts[severity_rank(record.severity)];
            name_width = std::max(name_width, record.name.size() + record.type.size() + 1);
        }
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        return severity_rank(a.record->severity) > severity_rank(b.record->severity);
    });

    std::string out = "dkimwatch check at " + format_utc_timestamp(run.checked_at) + ": " +
                      std::to_string(run.reports.size()) + " identities, " +
                      std::to_string(rows.size()) + " records: " + std::to_string(counts[3]) +
                      " error, " + std::to_string(counts[2]) + " unknown, " +
                      std::to_string(counts[1]) + " warning, " + std::to_string(counts[0]) +
                      " ok\n";
    if (!is_whole_inventory(run.shard)) {
        out += "shard " + shard_text(run.shard) + ": " + std::to_string(run.shard_skipped) +
               " identities of the inventory belong to other shards and were not checked\n";
    }
    out += "\n";
    for (const auto& failure : run.ses_failures) {
        out += "UNKNOWN  ses_sync_failed   " + failure + "\n";
    }
    for (std::size_t index = 0; index < run.reports.size(); ++index) {
        const auto& ses = ses_of(run, index);
        if (!ses) {
            continue;
        }
        const Identity& identity = *run.reports[index].identity;
        for (const auto& finding : ses->findings) {
            out += pad(severity_label(finding.severity), 8) + " " +
                   pad(ses_finding_code_name(finding.code), 17) + " SES " +
                   (ses->status.empty() ? "(not listed)" : ses->status) + "  (" + identity.account +
                   " " + identity.region + " " + identity.domain + ")\n";
            out += "         " + finding.message + "\n";
        }
    }
    for (const auto& row : rows) {
        const Identity& identity = *row.report->identity;
        const RecordVerdict& record = *row.record;
        out += pad(severity_label(record.severity), 8) + " " +
               pad(verdict_code_name(record.code), 17) + " " +
               pad(record.type + " " + record.name, name_width) + "  (" + identity.account + " " +
               identity.region + " " + identity.domain + ")\n";
        if (record.severity != Severity::ok) {
            out += "         expected: " + record.expected + "\n";
            out +=
                "         observed: " + (record.observed ? *record.observed : "(nothing)") + "\n";
            out += "         " + record.message + "\n";
        }
        if (record.cached_answer_ttl) {
            out += "         resolvers' cached answer: up to " +
                   format_duration(*record.cached_answer_ttl) + " (" +
                   std::to_string(record.cached_answer_ttl->count()) + " seconds) left\n";
        }
        if (servers_disagree(record)) {
            out += server_lines(record);
        }
    }
    return out;
}

namespace {

// Monitoring-plugins convention over the worst severities of the identities; `unknown`: something
// else already makes the result unknown (a failed SES source).
int exit_code_of(const std::vector<Severity>& worst, bool unknown) {
    bool any_warning = false;
    for (const Severity severity : worst) {
        switch (severity) {
        case Severity::error:
            return 2;
        case Severity::indeterminate:
            unknown = true;
            break;
        case Severity::warning:
            any_warning = true;
            break;
        case Severity::ok:
            break;
        }
    }
    if (unknown) {
        return 3;
    }
    return any_warning ? 1 : 0;
}

} // namespace

int check_exit_code(const std::vector<IdentityReport>& reports) {
    std::vector<Severity> worst;
    worst.reserve(reports.size());
    for (const auto& report : reports) {
        worst.push_back(report.worst);
    }
    return exit_code_of(worst, false);
}

int check_run_exit_code(const CheckRun& run) {
    std::vector<Severity> worst;
    worst.reserve(run.reports.size());
    for (std::size_t index = 0; index < run.reports.size(); ++index) {
        worst.push_back(worst_of(run, index));
    }
    return exit_code_of(worst, !run.ses_failures.empty());
}

} // namespace dkimwatch
