// StateStore's part for the SES source: the last good inventory of each SES source and region,
// the SES findings of each identity, and SES events in the history (schema migration 3).
// The statements here run at most a few times per sync interval, so they are prepared per call
// rather than cached with the hot ones in prepare_all().

#include "store/state_store_impl.hpp"

#include <utility>

namespace dkimwatch {
namespace {

std::int64_t ms_of(TimePoint time) {
    return time.time_since_epoch().count();
}

// The identity columns of ses_identities after inventory_id, in the order read_ses_identity()
// uses.
constexpr std::string_view k_ses_identity_columns =
    "domain, signing_enabled, status, status_text, origin, signing_hosted_zone, "
    "current_key_length";

Result<SesFindingCode> parse_finding_code(std::string_view text) {
    for (auto code : {SesFindingCode::signing_disabled, SesFindingCode::ses_failed,
                      SesFindingCode::ses_temporary_failure, SesFindingCode::ses_dns_disagree,
                      SesFindingCode::email_identity_unsigned, SesFindingCode::not_in_ses,
                      SesFindingCode::tokens_differ, SesFindingCode::weak_signing_key}) {
        if (text == ses_finding_code_name(code)) {
            return code;
        }
    }
    return Error{"unknown SES finding \"" + std::string(text) + "\""};
}

} // namespace

Result<StoreOk> StateStore::save_ses_inventory(const SesInventory& inventory) {
    if (auto writable = m_impl->require_writable(); !writable) {
        return Error{writable.error()};
    }
    sqlite3* db = m_impl->db.get();
    const std::string what =
        "saving the SES inventory of " + inventory.source + "/" + inventory.region + ": ";
    auto transaction =
        sqlite::WriteTransaction::begin(m_impl->begin, m_impl->commit, m_impl->rollback);
    if (!transaction) {
        return m_impl->error(what + transaction.error());
    }
    auto fail = [&](const std::string& message) { return m_impl->error(what + message); };

    // The old listing goes with everything under it (ON DELETE CASCADE).
    auto remove = sqlite::Statement::prepare(
        db, "DELETE FROM ses_inventories WHERE source = ?1 AND region = ?2");
    if (!remove) {
        return fail(remove.error());
    }
    remove.value().bind(1, std::string_view(inventory.source));
    remove.value().bind(2, std::string_view(inventory.region));
    if (auto done = remove.value().run(); !done) {
        return fail(done.error());
    }

    auto insert = sqlite::Statement::prepare(
        db, "INSERT INTO ses_inventories (source, account, region, synced_at_ms) "
            "VALUES (?1, ?2, ?3, ?4) RETURNING id");
    if (!insert) {
        return fail(insert.error());
    }
    insert.value().bind(1, std::string_view(inventory.source));
    insert.value().bind(2, std::string_view(inventory.account));
    insert.value().bind(3, std::string_view(inventory.region));
    insert.value().bind(4, ms_of(inventory.synced_at));
    auto row = insert.value().step();
    if (!row) {
        return fail(row.error());
    }
    if (!*row) {
        return fail("no id returned");
    }
    const std::int64_t inventory_id = insert.value().int64(0);
    insert.value().reset();

    auto insert_identity = sqlite::Statement::prepare(
        db, "INSERT INTO ses_identities (inventory_id, " + std::string(k_ses_identity_columns) +
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!insert_identity) {
        return fail(insert_identity.error());
    }
    auto insert_value = sqlite::Statement::prepare(
        db, "INSERT INTO ses_identity_values (inventory_id, domain, list, position, value) "
            "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!insert_value) {
        return fail(insert_value.error());
    }
    for (const SesDomainIdentity& identity : inventory.domains) {
        {
            auto& statement = insert_identity.value();
            auto use = statement.use();
            statement.bind(1, inventory_id);
            statement.bind(2, std::string_view(identity.domain));
            statement.bind(3, std::int64_t{identity.signing_enabled ? 1 : 0});
            statement.bind(4, std::string_view(ses_dkim_status_name(identity.status)));
            statement.bind(5, std::string_view(identity.status_text));
            statement.bind(6, std::string_view(identity.origin));
            statement.bind(7, std::string_view(identity.signing_hosted_zone));
            statement.bind(8, std::string_view(identity.current_key_length));
            if (auto done = statement.run(); !done) {
                return fail(identity.domain + ": " + done.error());
            }
        }
        const std::pair<std::string_view, const std::vector<std::string>*> lists[] = {
            {"token", &identity.tokens},
            {"email", &identity.email_identities},
        };
        for (const auto& [list, values] : lists) {
            std::int64_t position = 0;
            for (const std::string& value : *values) {
                auto& statement = insert_value.value();
                auto use = statement.use();
                statement.bind(1, inventory_id);
                statement.bind(2, std::string_view(identity.domain));
                statement.bind(3, list);
                statement.bind(4, position++);
                statement.bind(5, std::string_view(value));
                if (auto done = statement.run(); !done) {
                    return fail(identity.domain + ": " + done.error());
                }
            }
        }
    }
    if (auto committed = transaction.value().commit(); !committed) {
        return fail(committed.error());
    }
    return StoreOk{};
}

Result<std::vector<SesInventory>> StateStore::load_ses_inventories() {
    sqlite3* db = m_impl->db.get();
    // One statement, hence one consistent snapshot: each inventory, its identities, and their
    // list values (NULL columns where an inventory has no identity or an identity no value).
    auto select = sqlite::Statement::prepare(
        db, "SELECT s.id, s.source, s.account, s.region, s.synced_at_ms, i.domain, "
            "i.signing_enabled, i.status, i.status_text, i.origin, i.signing_hosted_zone, "
            "i.current_key_length, v.list, v.value "
            "FROM ses_inventories AS s "
            "LEFT JOIN ses_identities AS i ON i.inventory_id = s.id "
            "LEFT JOIN ses_identity_values AS v "
            "ON v.inventory_id = i.inventory_id AND v.domain = i.domain "
            "ORDER BY s.source, s.region, i.domain, v.list, v.position");
    if (!select) {
        return m_impl->error(select.error());
    }
    auto& statement = select.value();
    std::vector<SesInventory> inventories;
    std::int64_t current_id = -1;
    auto read = m_impl->each_row(statement, [&]() -> Result<sqlite::Done> {
        const std::int64_t id = statement.int64(0);
        if (id != current_id) {
            current_id = id;
            SesInventory inventory;
            inventory.source = statement.text(1);
            inventory.account = statement.text(2);
            inventory.region = statement.text(3);
            inventory.synced_at = TimePoint{Milliseconds{statement.int64(4)}};
            inventories.push_back(std::move(inventory));
        }
        SesInventory& inventory = inventories.back();
        if (statement.is_null(5)) {
            return sqlite::Done{};
        }
        const std::string domain = statement.text(5);
        if (inventory.domains.empty() || inventory.domains.back().domain != domain) {
            SesDomainIdentity identity;
            identity.domain = domain;
            identity.signing_enabled = statement.int64(6) != 0;
            identity.status = parse_ses_dkim_status(statement.text(7));
            identity.status_text = statement.text(8);
            identity.origin = statement.text(9);
            identity.signing_hosted_zone = statement.text(10);
            identity.current_key_length = statement.text(11);
            inventory.domains.push_back(std::move(identity));
        }
        if (statement.is_null(12)) {
            return sqlite::Done{};
        }
        SesDomainIdentity& identity = inventory.domains.back();
        const std::string list = statement.text(12);
        if (list == "token") {
            identity.tokens.push_back(statement.text(13));
        } else if (list == "email") {
            identity.email_identities.push_back(statement.text(13));
        } else {
            return Error{"SES identity " + inventory.source + "/" + inventory.region + "/" +
                         domain + " has a value of unknown list \"" + list + "\""};
        }
        return sqlite::Done{};
    });
    if (!read) {
        return Error{read.error()};
    }
    return inventories;
}

Result<StoreOk> StateStore::save_ses_findings(const IdentityKey& key,
                                              const std::vector<SesFinding>& findings) {
    if (auto writable = m_impl->require_writable(); !writable) {
        return Error{writable.error()};
    }
    sqlite3* db = m_impl->db.get();
    const std::string what = "saving the SES findings of " + key.to_string() + ": ";
    auto fail = [&](const std::string& message) { return m_impl->error(what + message); };
    auto transaction =
        sqlite::WriteTransaction::begin(m_impl->begin, m_impl->commit, m_impl->rollback);
    if (!transaction) {
        return fail(transaction.error());
    }
    auto remove = sqlite::Statement::prepare(
        db, "DELETE FROM ses_findings WHERE account = ?1 AND region = ?2 AND domain = ?3");
    if (!remove) {
        return fail(remove.error());
    }
    remove.value().bind(1, std::string_view(key.account));
    remove.value().bind(2, std::string_view(key.region));
    remove.value().bind(3, std::string_view(key.domain));
    if (auto done = remove.value().run(); !done) {
        return fail(done.error());
    }
    auto insert = sqlite::Statement::prepare(
        db, "INSERT INTO ses_findings (account, region, domain, position, code, severity, "
            "message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!insert) {
        return fail(insert.error());
    }
    std::int64_t position = 0;
    for (const SesFinding& finding : findings) {
        auto& statement = insert.value();
        auto use = statement.use();
        statement.bind(1, std::string_view(key.account));
        statement.bind(2, std::string_view(key.region));
        statement.bind(3, std::string_view(key.domain));
        statement.bind(4, position++);
        statement.bind(5, std::string_view(ses_finding_code_name(finding.code)));
        statement.bind(6, std::string_view(severity_name(finding.severity)));
        statement.bind(7, std::string_view(finding.message));
        if (auto done = statement.run(); !done) {
            return fail(done.error());
        }
    }
    if (auto committed = transaction.value().commit(); !committed) {
        return fail(committed.error());
    }
    return StoreOk{};
}

Result<std::map<IdentityKey, std::vector<SesFinding>>> StateStore::load_ses_findings() {
    auto select = sqlite::Statement::prepare(
        m_impl->db.get(), "SELECT account, region, domain, code, severity, message "
                          "FROM ses_findings ORDER BY account, region, domain, position");
    if (!select) {
        return m_impl->error(select.error());
    }
    auto& statement = select.value();
    std::map<IdentityKey, std::vector<SesFinding>> findings;
    auto read = m_impl->each_row(statement, [&]() -> Result<sqlite::Done> {
        IdentityKey key{statement.text(0), statement.text(1), statement.text(2)};
        auto code = parse_finding_code(statement.text(3));
        if (!code) {
            return Error{"identity " + key.to_string() + " has " + code.error()};
        }
        const std::string severity_text = statement.text(4);
        auto severity = parse_severity(severity_text);
        if (!severity) {
            return Error{"identity " + key.to_string() + " has an SES finding of unknown " +
                         "severity \"" + severity_text + "\""};
        }
        findings[std::move(key)].push_back(SesFinding{*code, *severity, statement.text(5)});
        return sqlite::Done{};
    });
    if (!read) {
        return Error{read.error()};
    }
    return findings;
}

Result<StoreOk> StateStore::append_ses_events(const IdentityKey& key, IdentityState state,
                                              std::span<const SesEvent> events,
                                              std::span<const OutboxRowInsert> alerts) {
    if (auto writable = m_impl->require_writable(); !writable) {
        return Error{writable.error()};
    }
    const std::string what = "SES events of " + key.to_string() + ": ";
    auto fail = [&](const std::string& message) { return m_impl->error(what + message); };
    auto transaction =
        sqlite::WriteTransaction::begin(m_impl->begin, m_impl->commit, m_impl->rollback);
    if (!transaction) {
        return fail(transaction.error());
    }
    if (!key.domain.empty() && !events.empty()) {
        auto find = sqlite::Statement::prepare(
            m_impl->db.get(),
            "SELECT id FROM identities WHERE account = ?1 AND region = ?2 AND domain = ?3");
        if (!find) {
            return fail(find.error());
        }
        find.value().bind(1, std::string_view(key.account));
        find.value().bind(2, std::string_view(key.region));
        find.value().bind(3, std::string_view(key.domain));
        auto row = find.value().step();
        if (!row) {
            return fail(row.error());
        }
        if (!*row) {
            return fail("identity not stored");
        }
        const std::int64_t identity_id = find.value().int64(0);
        find.value().reset();
        const std::string_view state_name = identity_state_name(state);
        for (const SesEvent& event : events) {
            auto& statement = m_impl->insert_event;
            auto use = statement.use();
            statement.bind(1, identity_id);
            statement.bind(2, ms_of(event.at));
            statement.bind(3, std::string_view(ses_event_kind_name(event.kind)));
            statement.bind(4, state_name);
            statement.bind(5, state_name);
            statement.bind(6, std::string_view(event.reason));
            statement.bind_null(7);
            statement.bind_null(8);
            if (auto done = statement.run(); !done) {
                return fail(done.error());
            }
        }
    }
    if (auto queued = m_impl->insert_outbox_rows(alerts); !queued) {
        return fail(queued.error());
    }
    if (auto committed = transaction.value().commit(); !committed) {
        return fail(committed.error());
    }
    return StoreOk{};
}

} // namespace dkimwatch
