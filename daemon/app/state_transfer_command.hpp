#pragma once
// `dkimwatch state export` and `dkimwatch state import`: the handoff of identity state when the
// number of shards changes (see app/state_transfer.hpp for the document and the rules).

#include <string>
#include <vector>

namespace dkimwatch {

struct StateExportOptions {
    std::string config_path;
    std::string output = "-"; // a file, or "-" for stdout
};

// Writes every active identity of the configuration's state database (opened read-only: works
// while the daemon runs) as one export document. Exit 0, or 1 when the configuration or the
// database cannot be read or the output cannot be written (the output file is then not left
// half-written: it is written under a temporary name and renamed).
int run_state_export_command(const StateExportOptions& options);

struct StateImportOptions {
    std::string config_path;
    std::vector<std::string> files; // at least one
    bool replace = false;
};

// Reads every file (all must parse, or nothing is written), takes the identities this process's
// configuration owns (plan_state_import) and writes them into its state database in one
// transaction. Refused while a daemon holds state_dir (its dkimwatch.lock). Prints one line per
// conflict and a summary of counts on stdout. Exit 0, or 1 on any error (bad file: the file and
// the reason).
int run_state_import_command(const StateImportOptions& options);

} // namespace dkimwatch
