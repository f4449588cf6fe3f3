#pragma once
// The Config being filled while the YAML is read, and what the checks that involve two keys
// need. Internal to config/.

#include "config/config.hpp"
#include "config/yaml_reading.hpp"

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace dkimwatch::config_reading {

// Where a top-level key was and whether its value passed its own checks, for the checks that
// involve two keys (they run once the whole document is read).
struct KeySeen {
    std::optional<Field> field; // set when the key is present
    bool valid = false;         // present, and its value is in the Config
};

// The Config being filled, and what the checks across keys need.
struct Document {
    Config config;
    // Where each identity was first defined ("line 12" or "identities.csv:7"), across the
    // identities list and the identities file, for duplicate errors.
    std::map<std::tuple<std::string, std::string, std::string>, std::string> identity_origin;
    KeySeen check_interval;
    KeySeen recheck_interval;
    KeySeen revocation_window;
    std::optional<Field> reminders; // set when the key is present
    // The items of reminders that passed their own checks, in file order.
    std::vector<std::pair<Field, Milliseconds>> reminder_items;
};

} // namespace dkimwatch::config_reading
