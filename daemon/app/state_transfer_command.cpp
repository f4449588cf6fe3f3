#include "app/state_transfer_command.hpp"

#include "app/state_transfer.hpp"
#include "config/config_loader.hpp"
#include "core/state_machine.hpp"
#include "store/state_dir_lock.hpp"
#include "util/bounded_file.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace dkimwatch {
namespace {

std::filesystem::path database_path(const Config& config) {
    return std::filesystem::path(config.daemon.state_dir) / std::string(k_state_db_file_name);
}

// The contents of `path`, or an error naming it.
// Export files hold about 2 KB per identity: 4 GiB is some two million identities.
const FileLimit k_export_file_limit{std::size_t{4} << 30, "a state export file"};

// Writes `text` to `path` through a temporary file renamed over it, so that a failure never
// leaves a truncated export behind.
Result<StoreOk> write_file_atomically(const std::string& path, const std::string& text) {
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) {
            return Error{temporary + ": cannot create: " + std::strerror(errno)};
        }
        out << text;
        out.flush();
        if (!out) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            return Error{temporary + ": cannot write"};
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        std::filesystem::remove(temporary, error);
        return Error{path + ": cannot rename " + temporary + " to it: " + error.message()};
    }
    return StoreOk{};
}

// The newest records' check time: save() stores one checked_at for all of an identity's
// records (they come from one check).
TimePoint records_checked_at(const StoredIdentity& identity) {
    TimePoint newest{};
    for (const auto& record : identity.records) {
        newest = std::max(newest, record.checked_at);
    }
    return newest;
}

} // namespace

int run_state_export_command(const StateExportOptions& options) {
    const auto config = load_config_or_report(options.config_path, std::cerr);
    if (!config) {
        return 1;
    }
    auto store = StateStore::open(database_path(*config), StateStore::Mode::read_only);
    if (!store) {
        std::cerr << "dkimwatch state export: " << store.error() << "\n";
        return 1;
    }
    auto identities = (*store)->list_identities();
    if (!identities) {
        std::cerr << "dkimwatch state export: " << identities.error() << "\n";
        return 1;
    }
    StateExport exported;
    exported.exported_at = std::chrono::floor<Milliseconds>(std::chrono::system_clock::now());
    exported.shard = config->daemon.shard;
    exported.identities = std::move(identities).value();
    const std::string text = state_export_to_json(exported);
    if (options.output == "-") {
        std::cout << text << std::flush;
        if (!std::cout) {
            std::cerr << "dkimwatch state export: cannot write to stdout\n";
            return 1;
        }
    } else if (auto written = write_file_atomically(options.output, text); !written) {
        std::cerr << "dkimwatch state export: " << written.error() << "\n";
        return 1;
    }
    std::cerr << "dkimwatch state export: " << exported.identities.size() << " identities of shard "
              << shard_text(exported.shard) << " from " << (*store)->path().string() << "\n";
    return 0;
}

int run_state_import_command(const StateImportOptions& options) {
    const auto config = load_config_or_report(options.config_path, std::cerr);
    if (!config) {
        return 1;
    }
    // Every file first: a bad one stops the import before anything is written.
    std::vector<ExportFile> files;
    for (const auto& name : options.files) {
        auto text = read_bounded_file(name, k_export_file_limit);
        if (!text) {
            std::cerr << "dkimwatch state import: " << text.error().to_string() << "\n";
            return 1;
        }
        auto parsed = parse_state_export(*text);
        if (!parsed) {
            std::cerr << "dkimwatch state import: " << name << ": " << parsed.error() << "\n";
            return 1;
        }
        files.push_back(ExportFile{name, std::move(parsed).value()});
    }

    const std::filesystem::path dir(config->daemon.state_dir);
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
        std::cerr << "dkimwatch state import: state_dir " << dir.string()
                  << ": cannot create: " << error.message() << "\n";
        return 1;
    }
    auto lock = StateDirLock::take(dir, "stop it before importing");
    if (!lock) {
        std::cerr << "dkimwatch state import: " << lock.error() << "\n";
        return 1;
    }
    auto store = StateStore::open(database_path(*config), StateStore::Mode::read_write);
    if (!store) {
        std::cerr << "dkimwatch state import: " << store.error() << "\n";
        return 1;
    }
    auto stored = (*store)->identity_activity();
    if (!stored) {
        std::cerr << "dkimwatch state import: " << stored.error() << "\n";
        return 1;
    }

    ImportTarget target;
    target.shard = config->daemon.shard;
    target.replace = options.replace;
    target.stored = std::move(stored).value();
    for (const auto& identity : config->identities) {
        target.configured.emplace(identity.key(), identity_fingerprint(identity));
    }
    const ImportPlan plan = plan_state_import(files, target);

    std::vector<CheckToSave> batch;
    batch.reserve(plan.write.size());
    for (const auto& identity : plan.write) {
        CheckToSave item;
        item.key = identity.key;
        item.status = identity.status;
        for (const auto& record : identity.records) {
            item.records.push_back(record.verdict);
        }
        item.checked_at = records_checked_at(identity);
        batch.push_back(std::move(item));
    }
    if (!batch.empty()) {
        if (auto saved = (*store)->save(batch); !saved) {
            std::cerr << "dkimwatch state import: " << saved.error() << " (nothing imported)\n";
            return 1;
        }
    }
    for (const auto& line : plan.conflicts) {
        std::cout << line << "\n";
    }
    std::cout << "imported " << plan.imported << " identities into " << (*store)->path().string()
              << " (shard " << shard_text(target.shard) << "); skipped: " << plan.not_owned
              << " owned by another shard, " << plan.not_configured << " not in the configuration, "
              << plan.fingerprint_differs << " configured differently (they restart at pending), "
              << plan.kept_existing << " already in the database, " << plan.duplicates
              << " older copies in another file\n";
    return 0;
}

} // namespace dkimwatch
