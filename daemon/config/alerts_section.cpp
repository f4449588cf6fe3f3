#include "config/alerts_section.hpp"

#include "config/secret_sources.hpp"
#include "core/url_display.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <map>

namespace dkimwatch::config_reading {

namespace {

constexpr Milliseconds k_min_resend_interval = std::chrono::seconds{1};
constexpr Milliseconds k_min_retry_age = std::chrono::seconds{1};
// A PagerDuty group's dedup_key and Slack's rate limit both have a resolution of a second.
constexpr Milliseconds k_min_group_interval = std::chrono::seconds{1};
constexpr const char* k_pagerduty_events_url = "https://events.pagerduty.com/v2/enqueue";

using SinkType = AlertSinkConfig::Type;

constexpr std::array<SinkType, 4> k_sink_types{SinkType::slack, SinkType::webhook,
                                               SinkType::alertmanager, SinkType::pagerduty};

// Every key of a sink, in the order messages list them.
constexpr std::array<std::string_view, 12> k_sink_keys{"name",
                                                       "type",
                                                       "url",
                                                       "urls",
                                                       "url_file",
                                                       "url_env",
                                                       "secret_file",
                                                       "secret_env",
                                                       "routing_key_file",
                                                       "routing_key_env",
                                                       "min_severity",
                                                       "resend_interval"};

// The keys a sink of `type` accepts.
Keys sink_keys(SinkType type) {
    static constexpr std::array<std::string_view, 6> k_slack{"name",     "type",    "url",
                                                             "url_file", "url_env", "min_severity"};
    static constexpr std::array<std::string_view, 8> k_webhook{
        "name", "type", "url", "url_file", "url_env", "secret_file", "secret_env", "min_severity"};
    static constexpr std::array<std::string_view, 8> k_alertmanager{
        "name", "type", "url", "urls", "url_file", "url_env", "min_severity", "resend_interval"};
    static constexpr std::array<std::string_view, 6> k_pagerduty{
        "name", "type", "url", "routing_key_file", "routing_key_env", "min_severity"};
    switch (type) {
    case SinkType::slack:
        return k_slack;
    case SinkType::webhook:
        return k_webhook;
    case SinkType::alertmanager:
        return k_alertmanager;
    case SinkType::pagerduty:
        return k_pagerduty;
    }
    return k_sink_keys;
}

bool contains(Keys keys, std::string_view key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// "a", "a and b", "a, b and c".
std::string join_and(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += i + 1 == items.size() ? " and " : ", ";
        }
        out += items[i];
    }
    return out;
}

// "webhook", "slack, webhook and alertmanager": the types that accept `key`.
std::string types_accepting(std::string_view key) {
    std::vector<std::string> names;
    for (SinkType type : k_sink_types) {
        if (contains(sink_keys(type), key)) {
            names.emplace_back(alert_sink_type_name(type));
        }
    }
    return join_and(names);
}

std::optional<SinkType> parse_sink_type(std::string_view text) {
    for (SinkType type : k_sink_types) {
        if (text == alert_sink_type_name(type)) {
            return type;
        }
    }
    return std::nullopt;
}

// info, warning or critical; `resolved` is not a threshold.
std::optional<EventSeverity> parse_min_severity(std::string_view text) {
    for (EventSeverity severity :
         {EventSeverity::info, EventSeverity::warning, EventSeverity::critical}) {
        if (text == event_severity_name(severity)) {
            return severity;
        }
    }
    return std::nullopt;
}

// What a sink mapping held. The lists of alternative keys keep file order.
struct SinkFields {
    std::optional<Field> name, type, min_severity, resend_interval;
    std::vector<std::pair<std::string, Field>> urls;         // url, url_file, url_env, urls
    std::vector<std::pair<std::string, Field>> secrets;      // secret_file, secret_env
    std::vector<std::pair<std::string, Field>> routing_keys; // routing_key_file, routing_key_env
};

// The type written in the sink mapping `node` if it is a valid one, read ahead so that the other
// keys can be checked against it (the type's own errors come when it is read in turn).
std::optional<SinkType> peek_sink_type(const YAML::Node& node) {
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == "type") {
            return it->second.IsScalar() ? parse_sink_type(it->second.Scalar()) : std::nullopt;
        }
    }
    return std::nullopt;
}

// The one key of `written` (alternatives out of `choices`), or null after reporting none (when
// `required`) or more than one.
const std::pair<std::string, Field>*
one_of(Reader& reader, const Field& item, const std::string& sink_label,
       const std::vector<std::pair<std::string, Field>>& written, Keys choices, bool required) {
    const std::string message = sink_label +
                                (required ? " needs exactly one of " : " takes at most one of ") +
                                join(choices) + ", got ";
    if (written.empty()) {
        if (required) {
            reader.error_at(item, message + "none");
        }
        return nullptr;
    }
    if (written.size() > 1) {
        std::string names;
        for (const auto& [name, field] : written) {
            names += (names.empty() ? "" : " and ") + name;
        }
        reader.error_at_key(written[1].second, message + names);
        return nullptr;
    }
    return &written.front();
}

// alertmanager `urls: [...]`: a non-empty sequence of inline URLs, each checked like `url`, no
// two with the same display form (scheme://host:port, the metrics' url label and the outbox
// key's suffix). Fills sink.endpoints (and url/display from the first).
void read_url_list(Reader& reader, const Field& field, AlertSinkConfig& sink) {
    if (!field.value.IsSequence() || field.value.size() == 0) {
        reader.error_at(field, field.path +
                                   " must be a non-empty sequence of http:// or https:// URLs, "
                                   "got " +
                                   (field.value.IsSequence() ? std::string("an empty sequence")
                                                             : describe(field.value)));
        return;
    }
    std::vector<SinkEndpoint> endpoints;
    std::vector<std::string> paths; // of endpoints[i]
    bool ok = true;
    std::size_t index = 0;
    for (auto it = field.value.begin(); it != field.value.end(); ++it, ++index) {
        const Field entry{field.path + "[" + std::to_string(index) + "]", YAML::Node(), *it};
        auto url = read_url(reader, entry, "url");
        if (!url) {
            ok = false;
            continue;
        }
        SinkEndpoint endpoint{*url, url_display(*url)};
        const auto same =
            std::find_if(endpoints.begin(), endpoints.end(), [&endpoint](const SinkEndpoint& seen) {
                return seen.display == endpoint.display;
            });
        if (same != endpoints.end()) {
            const std::string& first = paths[static_cast<std::size_t>(same - endpoints.begin())];
            reader.error_at(entry, entry.path + " names the same Alertmanager (" +
                                       endpoint.display + ") as " + first +
                                       ": each URL must have its own scheme://host:port");
            ok = false;
            continue;
        }
        endpoints.push_back(std::move(endpoint));
        paths.push_back(entry.path);
    }
    if (!ok) {
        return;
    }
    sink.url = endpoints.front().url;
    sink.endpoints = std::move(endpoints);
}

// Reads the url, secret or routing key sources of a sink whose type is known.
void read_sink_sources(Reader& reader, const Field& item, const std::string& sink_label,
                       const SinkFields& fields, AlertSinkConfig& sink) {
    static constexpr std::array<std::string_view, 3> k_url_keys{"url", "url_file", "url_env"};
    static constexpr std::array<std::string_view, 4> k_alertmanager_url_keys{"url", "url_file",
                                                                             "url_env", "urls"};
    static constexpr std::array<std::string_view, 2> k_secret_keys{"secret_file", "secret_env"};
    static constexpr std::array<std::string_view, 2> k_routing_key_keys{"routing_key_file",
                                                                        "routing_key_env"};
    if (sink.type == SinkType::pagerduty) {
        sink.url = k_pagerduty_events_url;
        if (!fields.urls.empty()) { // only url: the others are not pagerduty keys
            if (auto url =
                    read_url(reader, fields.urls.front().second, fields.urls.front().first)) {
                sink.url = std::move(*url);
            }
        }
        if (const auto* source =
                one_of(reader, item, sink_label, fields.routing_keys, k_routing_key_keys, true)) {
            if (auto key = read_secret(reader, source->second, source->first, "the routing key")) {
                if (has_space_or_control(key->value)) {
                    reader.error_at(source->second, key->subject +
                                                        " must hold the routing key on one line, "
                                                        "without spaces or control characters");
                } else {
                    sink.routing_key = std::move(key->value);
                }
            }
        }
        return;
    }
    const Keys url_keys =
        sink.type == SinkType::alertmanager ? Keys(k_alertmanager_url_keys) : Keys(k_url_keys);
    if (const auto* source = one_of(reader, item, sink_label, fields.urls, url_keys, true)) {
        if (source->first == "urls") {
            read_url_list(reader, source->second, sink);
        } else if (auto url = read_url(reader, source->second, source->first)) {
            sink.url = std::move(*url);
        }
    }
    if (sink.type == SinkType::webhook) {
        if (const auto* source =
                one_of(reader, item, sink_label, fields.secrets, k_secret_keys, false)) {
            if (auto secret = read_secret(reader, source->second, source->first, "the HMAC key")) {
                sink.secret = std::move(secret->value);
            }
        }
    }
}

// One item of alerts. `name_lines` maps the names of the sinks read so far to their lines.
std::optional<AlertSinkConfig> read_sink(Reader& reader, const Field& item,
                                         std::map<std::string, int, std::less<>>& name_lines) {
    if (!item.value.IsMap()) {
        reader.error_at(item, item.path +
                                  " must be a mapping with name, type and the keys of its type, "
                                  "got " +
                                  describe(item.value));
        return std::nullopt;
    }
    const std::size_t errors_before = reader.error_count();
    const std::optional<SinkType> peeked = peek_sink_type(item.value);
    const Keys allowed = peeked ? sink_keys(*peeked) : Keys(k_sink_keys);
    const std::string type_name = peeked ? alert_sink_type_name(*peeked) : "";
    const std::string where = peeked ? type_name + " sink " + item.path : item.path;
    SinkFields fields;
    reader.visit_mapping(item.value, where, k_sink_keys, allowed, item.path + ".",
                         [&](std::string_view key, const Field& field) {
                             if (!contains(allowed, key)) {
                                 reader.error_at_key(
                                     field, field.path + " is not valid for type " + type_name +
                                                ": " + std::string(key) + " is for " +
                                                types_accepting(key) + " only (allowed for " +
                                                type_name + ": " + join(allowed) + ")");
                             } else if (key == "name") {
                                 fields.name.emplace(field);
                             } else if (key == "type") {
                                 fields.type.emplace(field);
                             } else if (key == "min_severity") {
                                 fields.min_severity.emplace(field);
                             } else if (key == "resend_interval") {
                                 fields.resend_interval.emplace(field);
                             } else if (key.starts_with("url")) {
                                 fields.urls.emplace_back(std::string(key), field);
                             } else if (key.starts_with("secret")) {
                                 fields.secrets.emplace_back(std::string(key), field);
                             } else {
                                 fields.routing_keys.emplace_back(std::string(key), field);
                             }
                         });

    AlertSinkConfig sink;
    std::string sink_label = item.path; // "alert sink NAME" once the name is known
    const std::string name_rule = "1 to 64 letters, digits, '-' or '_'";
    if (!fields.name) {
        reader.error_at(item,
                        item.path + " is missing \"name\" (a unique name of " + name_rule + ")");
    } else if (auto name = reader.read_string(*fields.name, "a name of " + name_rule)) {
        if (!is_config_name(*name)) {
            reader.error_at(*fields.name, fields.name->path + " must be a name of " + name_rule +
                                              ", got " + shown(*name));
        } else {
            const int line = fields.name->value.Mark().line + 1;
            const auto [seen, inserted] = name_lines.emplace(*name, line);
            if (!inserted) {
                reader.error_at(*fields.name, "duplicate alert sink name " + quote(*name) +
                                                  "; first defined at line " +
                                                  std::to_string(seen->second));
            }
            sink.name = *name;
            sink_label = "alert sink " + *name;
        }
    }

    std::vector<std::string> type_names;
    for (SinkType type : k_sink_types) {
        type_names.emplace_back(alert_sink_type_name(type));
    }
    const std::string types_expected = "one of " + join_and(type_names);
    std::optional<SinkType> type;
    if (!fields.type) {
        reader.error_at(item, sink_label + " is missing \"type\" (" + types_expected + ")");
    } else if (auto text = reader.read_string(*fields.type, types_expected)) {
        type = parse_sink_type(*text);
        if (!type) {
            reader.error_at(*fields.type, fields.type->path + " must be " + types_expected +
                                              ", got " + shown(*text));
        }
    }

    if (fields.min_severity) {
        const std::string expected = "one of info, warning and critical";
        if (auto text = reader.read_string(*fields.min_severity, expected)) {
            if (auto severity = parse_min_severity(*text)) {
                sink.min_severity = *severity;
            } else {
                reader.error_at(*fields.min_severity, fields.min_severity->path + " must be " +
                                                          expected + ", got " + shown(*text));
            }
        }
    }
    if (fields.resend_interval) {
        if (auto interval = reader.read_duration(*fields.resend_interval)) {
            if (*interval < k_min_resend_interval) {
                reader.error_at(*fields.resend_interval,
                                fields.resend_interval->path + " must be at least " +
                                    format_duration(k_min_resend_interval) + ", got " +
                                    fields.resend_interval->value.Scalar());
            } else {
                sink.resend_interval = *interval;
            }
        }
    }

    if (type) {
        sink.type = *type;
        read_sink_sources(reader, item, sink_label, fields, sink);
        sink.display = url_display(sink.url);
        if (sink.endpoints.empty()) {
            sink.endpoints.push_back(SinkEndpoint{sink.url, sink.display});
        }
    }
    if (reader.error_count() != errors_before) {
        return std::nullopt;
    }
    return sink;
}

} // namespace

void read_alerts_section(Reader& reader, const Field& section, Document& document) {
    if (!section.value.IsSequence()) {
        reader.error_at(section, "alerts must be a sequence of alert sinks (each a mapping with "
                                 "name, type and the keys of its type; [] for none), got " +
                                     describe(section.value));
        return;
    }
    std::map<std::string, int, std::less<>> name_lines;
    std::size_t index = 0;
    for (auto it = section.value.begin(); it != section.value.end(); ++it, ++index) {
        const Field item{"alerts[" + std::to_string(index) + "]", YAML::Node(), *it};
        if (auto sink = read_sink(reader, item, name_lines)) {
            const ConfigError where = reader.position(item);
            document.config.alerts.sinks.push_back(std::move(*sink));
            document.config.positions.sinks.push_back(ConfigPosition{where.line, where.column});
        }
    }
}

void read_group_threshold(Reader& reader, const Field& field, Document& document) {
    if (auto value =
            reader.read_int(field, 1, std::numeric_limits<int>::max(), "an integer >= 1")) {
        document.config.alerts.group_threshold = static_cast<std::size_t>(*value);
    }
}

void read_group_wait(Reader& reader, const Field& field, Document& document) {
    if (auto value = reader.read_duration(field)) {
        document.config.alerts.group_wait = *value;
    }
}

void read_group_interval(Reader& reader, const Field& field, Document& document) {
    if (auto value = reader.read_duration(field)) {
        if (*value < k_min_group_interval) {
            reader.error_at(field, field.path + " must be at least " +
                                       format_duration(k_min_group_interval) + ", got " +
                                       field.value.Scalar());
            return;
        }
        document.config.alerts.group_interval = *value;
    }
}

void read_max_retry_age(Reader& reader, const Field& field, Document& document) {
    if (auto value = reader.read_duration(field)) {
        if (*value < k_min_retry_age) {
            reader.error_at(field, field.path + " must be at least " +
                                       format_duration(k_min_retry_age) + ", got " +
                                       field.value.Scalar());
            return;
        }
        document.config.alerts.max_retry_age = *value;
    }
}

} // namespace dkimwatch::config_reading
