#include "config/config_loader.hpp"

// The entry point of configuration loading: YAML parsing, the table of top-level keys and the
// order of the checks. Each section's reader is in its own file (config/*_section.hpp).

#include "config/across_keys.hpp"
#include "config/alerts_section.hpp"
#include "config/config_document.hpp"
#include "config/daemon_section.hpp"
#include "config/dns_section.hpp"
#include "config/file_limits.hpp"
#include "config/identities_section.hpp"
#include "config/policy_section.hpp"
#include "config/ses_section.hpp"
#include "config/yaml_reading.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace dkimwatch {

std::string ConfigError::to_string() const {
    if (line <= 0) {
        return file + ": " + message;
    }
    std::string out = file + ":" + std::to_string(line);
    if (column > 0) {
        out += ":" + std::to_string(column);
    }
    return out + ": " + message;
}

namespace {

using namespace config_reading;

// The top level. A new section is one reader function and one row here.

using SectionReader = void (*)(Reader&, const Field&, Document&);

struct Section {
    std::string_view key;
    SectionReader read;
};

constexpr std::array<Section, 20> k_sections{{
    {"dns", read_dns_section},
    {"identities", read_identities_section},
    {"identities_file", read_identities_file},
    {"check_interval", read_check_interval},
    {"recheck_interval", read_recheck_interval},
    {"confirmations", read_confirmations},
    {"pending_timeout", read_pending_timeout},
    {"revocation_window", read_revocation_window},
    {"blind_after", read_blind_after},
    {"reminders", read_reminders},
    {"state_dir", read_state_dir},
    {"ha", read_ha},
    {"shard", read_shard},
    {"metrics", read_metrics_section},
    {"alerts", read_alerts_section},
    {"group_threshold", read_group_threshold},
    {"group_wait", read_group_wait},
    {"group_interval", read_group_interval},
    {"max_retry_age", read_max_retry_age},
    {"ses", read_ses_section},
}};

constexpr std::array<std::string_view, k_sections.size()> k_section_keys = [] {
    std::array<std::string_view, k_sections.size()> keys{};
    for (std::size_t i = 0; i < k_sections.size(); ++i) {
        keys[i] = k_sections[i].key;
    }
    return keys;
}();

void read_document(Reader& reader, const YAML::Node& root, Document& document) {
    if (!root.IsMap()) {
        reader.error_at(root, "the top level must be a mapping with the keys " +
                                  join(k_section_keys) + ", got " + describe(root));
        return;
    }
    bool has_identities = false;
    reader.visit_mapping(root, "", k_section_keys, "",
                         [&](std::string_view name, const Field& field) {
                             for (const Section& section : k_sections) {
                                 if (section.key == name) {
                                     section.read(reader, field, document);
                                 }
                             }
                             // SES discovery is a source of identities too.
                             has_identities = has_identities || name == "identities" ||
                                              name == "identities_file" || name == "ses";
                         });
    if (!has_identities) {
        reader.file_error(
            "no identities configured (add an identities: list, an identities_file: or a ses: "
            "section)");
    }
    apply_dependent_defaults(document);
    check_across_keys(reader, document);
}

// Records where documents start; ignores their content.
class DocumentStarts : public YAML::EventHandler {
public:
    std::vector<YAML::Mark> marks;

    void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

// Where a second YAML document starts, if the text has one. Throws YAML::ParserException for
// syntax errors. yaml-cpp 0.7's LoadAll() loops forever, allocating, on some malformed streams
// (a lone ","; fixed upstream by jbeder/yaml-cpp#1319): documents are therefore parsed one at a
// time, at most two, and a parser that does not advance is reported as a syntax error.
std::optional<YAML::Mark> find_second_document(std::string_view text) {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    DocumentStarts starts;
    for (int document = 0; document < 2 && parser.HandleNextDocument(starts); ++document) {
    }
    if (starts.marks.size() < 2) {
        return std::nullopt;
    }
    const YAML::Mark& first = starts.marks[0];
    const YAML::Mark& second = starts.marks[1];
    if (second.pos == first.pos) {
        const auto pos = static_cast<std::size_t>(std::max(second.pos, 0));
        const std::string near =
            pos < text.size() ? " near " + quote(text.substr(pos, 1)) : std::string();
        throw YAML::ParserException(second, "the text does not parse as YAML" + near);
    }
    return second;
}

} // namespace

ConfigLoadResult load_config_text(std::string_view text, const std::string& display_name,
                                  const std::filesystem::path& base_dir) {
    std::error_code ec;
    std::filesystem::path absolute_base = base_dir.empty()
                                              ? std::filesystem::current_path(ec)
                                              : std::filesystem::absolute(base_dir, ec);
    if (ec) {
        absolute_base = base_dir;
    }
    Reader reader(display_name, absolute_base.lexically_normal());
    Document document;
    document.config.source_path = display_name;

    YAML::Node root;
    try {
        const auto second_document = find_second_document(text);
        if (second_document) {
            reader.error_at(*second_document, "a second YAML document starts here; the "
                                              "configuration is one document");
        }
        root = YAML::Load(std::string(text));
    } catch (const YAML::DeepRecursion& error) {
        // yaml-cpp 0.7 gives this one the message "bad file".
        reader.error_at(error.mark, "YAML syntax error: nested too deeply");
        return reader.take_errors();
    } catch (const YAML::Exception& error) {
        reader.error_at(error.mark, "YAML syntax error: " + error.msg);
        return reader.take_errors();
    }
    if (root.IsNull()) {
        reader.file_error("no identities configured (the file is empty or only comments)");
        return reader.take_errors();
    }
    try {
        read_document(reader, root, document);
    } catch (const YAML::Exception& error) {
        // Not expected: the readers check node types before use.
        reader.error_at(error.mark, "cannot read the configuration: " + error.msg);
    }
    if (reader.has_errors()) {
        return reader.take_errors();
    }
    document.config.warnings = reader.take_warnings();
    return std::move(document.config);
}

ConfigLoadResult load_config_file(const std::filesystem::path& path) {
    auto text = read_bounded_file(path, config_file_limit());
    if (!text) {
        std::string reason = text.error().reason;
        if (text.error().kind == FileReadFailure::too_large) {
            reason += " (yaml-cpp needs about 60 times a file's size in memory); list a large "
                      "inventory in identities_file, one line per identity, which has no such "
                      "cost";
        }
        return std::vector<ConfigError>{ConfigError{path.string(), 0, 0, std::move(reason)}};
    }
    auto loaded = load_config_text(*text, path.string(), path.parent_path());
    if (auto* config = std::get_if<Config>(&loaded)) {
        config->source_path = path.string();
    }
    return loaded;
}

std::optional<Config> load_config_or_report(const std::filesystem::path& path,
                                            std::ostream& errors) {
    auto loaded = load_config_file(path);
    if (auto* found = std::get_if<std::vector<ConfigError>>(&loaded)) {
        for (const auto& error : *found) {
            errors << error.to_string() << "\n";
        }
        return std::nullopt;
    }
    return std::move(std::get<Config>(loaded));
}

} // namespace dkimwatch
