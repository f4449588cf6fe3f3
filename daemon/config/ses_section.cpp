#include "config/ses_section.hpp"

#include "config/file_limits.hpp"
#include "config/secret_sources.hpp"
#include "core/region_table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>

namespace dkimwatch::config_reading {

namespace {

constexpr Milliseconds k_min_sync_interval = std::chrono::minutes{1};
constexpr double k_max_rps = 50.0;
constexpr std::size_t k_account_id_digits = 12;
constexpr std::size_t k_max_profile_length = 64;
// STS AssumeRole's ExternalId: 2 to 1224 characters of [\w+=,.@:/-].
constexpr std::size_t k_min_external_id_length = 2;
constexpr std::size_t k_max_external_id_length = 1224;
// IAM: a role name is at most 64 characters, a path at most 512.
constexpr std::size_t k_max_role_name_length = 64;
constexpr std::size_t k_max_role_path_length = 512;

const std::string k_name_rule = "1 to 64 letters, digits, '-' or '_'";

bool is_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// [A-Za-z0-9_.+-]{1,64}
bool is_profile_name(std::string_view name) {
    return !name.empty() && name.size() <= k_max_profile_length &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return is_ascii_letter_or_digit(c) || c == '_' || c == '.' || c == '+' || c == '-';
           });
}

// [\w+=,.@-]: the characters of IAM role names and paths.
bool is_iam_name_char(char c) {
    return is_ascii_letter_or_digit(c) || c == '_' || c == '+' || c == '=' || c == ',' ||
           c == '.' || c == '@' || c == '-';
}

// [\w+=,.@:/-]: the characters of an STS ExternalId.
bool is_external_id_char(char c) {
    return is_iam_name_char(c) || c == ':' || c == '/';
}

void read_sync_interval(Reader& reader, const Field& field, SesSettings& ses) {
    auto value = reader.read_duration(field);
    if (!value) {
        return;
    }
    if (*value < k_min_sync_interval) {
        reader.error_at(field, field.path + " must be at least " +
                                   format_duration(k_min_sync_interval) + ", got " +
                                   field.value.Scalar());
        return;
    }
    ses.sync_interval = *value;
}

void read_max_rps(Reader& reader, const Field& field, SesSettings& ses) {
    const std::string expected = field.path + " must be a number more than 0 and at most 50 " +
                                 "(SES API requests per second per account and region), got ";
    if (!is_plain_scalar(field.value)) {
        std::string got = describe(field.value);
        if (field.value.IsScalar()) {
            got += " (a quoted string)";
        }
        reader.error_at(field, expected + got);
        return;
    }
    const std::string& text = field.value.Scalar();
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || end != text.data() + text.size() || ec != std::errc() ||
        !std::isfinite(value)) {
        reader.error_at(field, expected + shown(text));
        return;
    }
    if (value <= 0 || value > k_max_rps) {
        reader.error_at(field, expected + text);
        return;
    }
    ses.max_rps = value;
}

// regions: a non-empty sequence of distinct, well-formed region names.
void read_regions(Reader& reader, const Field& field, std::vector<std::string>& out) {
    if (!field.value.IsSequence()) {
        reader.error_at(field, field.path +
                                   " must be a sequence of AWS regions such as [us-east-1, "
                                   "eu-west-1], got " +
                                   describe(field.value));
        return;
    }
    if (field.value.size() == 0) {
        reader.error_at_key(field, field.path + " is empty; list at least one AWS region");
        return;
    }
    std::vector<std::size_t> indexes; // of the entries of `out` in the sequence
    std::size_t index = 0;
    for (auto it = field.value.begin(); it != field.value.end(); ++it, ++index) {
        const Field item{field.path + "[" + std::to_string(index) + "]", YAML::Node(), *it};
        auto region = reader.read_string(item, "an AWS region such as us-east-1");
        if (!region) {
            continue;
        }
        const RegionName kind = classify_region(*region);
        if (kind == RegionName::malformed) {
            reader.error_at(item, item.path + ": region " + quote(*region) +
                                      " is not an AWS region name such as us-east-1 or "
                                      "eu-west-1");
            continue;
        }
        const auto same = std::find(out.begin(), out.end(), *region);
        if (same != out.end()) {
            reader.error_at(
                item,
                item.path + ": " + *region + " is listed twice (first as " + field.path + "[" +
                    std::to_string(indexes[static_cast<std::size_t>(same - out.begin())]) + "])");
            continue;
        }
        if (kind == RegionName::unknown) {
            // SES reports each identity's signing hosted zone, so unlike an identity's region
            // nothing is assumed about this one.
            reader.warn_at(item.value, item.path + ": region " + quote(*region) +
                                           " is not in dkimwatch's table of SES regions; "
                                           "accepted as a region SES launched after this "
                                           "release (check the spelling)");
        }
        out.push_back(*region);
        indexes.push_back(index);
    }
}

// account: exactly 12 digits, written as a quoted string.
void read_account_id(Reader& reader, const Field& field, std::string& out) {
    const std::string expected = "12 digits in quotes, such as \"111122223333\"";
    if (field.value.IsScalar() && is_plain_scalar(field.value) && is_digits(field.value.Scalar())) {
        reader.error_at(field, field.path + " must be quoted, such as \"" + field.value.Scalar() +
                                   "\": YAML reads a bare number as an integer, which drops "
                                   "leading zeros");
        return;
    }
    auto text = reader.read_string(field, expected);
    if (!text) {
        return;
    }
    if (text->size() != k_account_id_digits || !is_digits(*text)) {
        reader.error_at(field, field.path + " must be an AWS account id of " + expected + ", got " +
                                   shown(*text));
        return;
    }
    out = *text;
}

// An http(s)://host[:port] endpoint override.
void read_endpoint_url(Reader& reader, const Field& field, std::string& out) {
    const std::string expected =
        "an http:// or https:// URL with a host and an optional port, such as "
        "http://127.0.0.1:4566";
    auto text = reader.read_string(field, expected);
    if (!text) {
        return;
    }
    if (auto reason = invalid_endpoint_url_reason(*text)) {
        reader.error_at(field, field.path + " must be " + expected + " (" + *reason + ")");
        return;
    }
    out = *text;
}

// external_id_file: the file's content, one trailing line end stripped; never printed.
void read_external_id_file(Reader& reader, const Field& field, SesCredentialsConfig& out) {
    auto text = reader.read_string(field, "the path of a file holding the external id");
    if (!text) {
        return;
    }
    auto file = read_secret_file(reader, field, *text);
    if (!file) {
        return;
    }
    std::string value = std::move(file->content);
    const std::string& subject = file->subject;
    const std::filesystem::path& resolved = file->resolved;
    if (value.ends_with('\n')) {
        value.pop_back();
        if (value.ends_with('\r')) {
            value.pop_back();
        }
    }
    const std::string rule = "an external id of " + std::to_string(k_min_external_id_length) +
                             " to " + std::to_string(k_max_external_id_length) +
                             " letters, digits or the characters _+=,.@:/- on one line";
    if (value.size() < k_min_external_id_length || value.size() > k_max_external_id_length) {
        reader.error_at(field, subject + " must hold " + rule + ", got " +
                                   std::to_string(value.size()) +
                                   (value.size() == 1 ? " character" : " characters"));
        return;
    }
    if (!std::all_of(value.begin(), value.end(), is_external_id_char)) {
        reader.error_at(field,
                        subject + " must hold " + rule + ", got another character (not shown)");
        return;
    }
    out.external_id = std::move(value);
    out.external_id_file = resolved.string();
}

void read_credentials(Reader& reader, const Field& section, SesAccountConfig& account) {
    static constexpr std::array<std::string_view, 3> k_keys{"profile", "role_arn",
                                                            "external_id_file"};
    if (!section.value.IsMap()) {
        reader.error_at(section, section.path + " must be a mapping with the keys " + join(k_keys) +
                                     " (remove it to use the AWS default chain), " + "got " +
                                     describe(section.value));
        return;
    }
    account.has_credentials_block = true;
    SesCredentialsConfig& credentials = account.credentials;
    std::optional<Field> external_id;
    bool has_role_arn = false;
    reader.visit_mapping(
        section.value, section.path, k_keys, section.path + ".",
        [&](std::string_view name, const Field& field) {
            if (name == "profile") {
                const std::string rule = "a profile name of 1 to 64 letters, digits or _.+-";
                if (auto profile = reader.read_string(field, rule)) {
                    if (!is_profile_name(*profile)) {
                        reader.error_at(field, field.path + " must be " + rule + ", got " +
                                                   shown(*profile));
                    } else {
                        credentials.profile = *profile;
                    }
                }
            } else if (name == "role_arn") {
                has_role_arn = true;
                const std::string expected =
                    "an IAM role ARN such as arn:aws:iam::111122223333:role/dkimwatch-read";
                if (auto arn = reader.read_string(field, expected)) {
                    if (auto reason = invalid_role_arn_reason(*arn)) {
                        reader.error_at(field, field.path + " must be " + expected + " (" +
                                                   *reason + "), got " + shown(*arn));
                    } else {
                        credentials.role_arn = *arn;
                    }
                }
            } else {
                external_id.emplace(field);
            }
        });
    if (external_id) {
        if (!has_role_arn) {
            reader.error_at_key(*external_id,
                                external_id->path +
                                    " needs role_arn: the external id is sent with STS "
                                    "AssumeRole, and only then");
        } else {
            read_external_id_file(reader, *external_id, credentials);
        }
    }
}

// One item of ses.accounts. `name_lines` maps the names read so far to their lines.
void read_account(Reader& reader, const Field& item,
                  std::map<std::string, int, std::less<>>& name_lines, SesSettings& ses) {
    static constexpr std::array<std::string_view, 6> k_keys{
        "name", "regions", "account", "credentials", "endpoint_url", "sts_endpoint_url"};
    if (!item.value.IsMap()) {
        reader.error_at(item, item.path +
                                  " must be a mapping with name and regions (and "
                                  "optionally account, credentials, endpoint_url, "
                                  "sts_endpoint_url), got " +
                                  describe(item.value));
        return;
    }
    const std::size_t errors_before = reader.error_count();
    SesAccountConfig account;
    std::optional<Field> name_field;
    bool has_regions = false;
    reader.visit_mapping(item.value, item.path, k_keys, item.path + ".",
                         [&](std::string_view key, const Field& field) {
                             if (key == "name") {
                                 name_field.emplace(field);
                             } else if (key == "regions") {
                                 has_regions = true;
                                 read_regions(reader, field, account.regions);
                             } else if (key == "account") {
                                 read_account_id(reader, field, account.account);
                             } else if (key == "credentials") {
                                 read_credentials(reader, field, account);
                             } else if (key == "endpoint_url") {
                                 read_endpoint_url(reader, field, account.endpoint_url);
                             } else {
                                 read_endpoint_url(reader, field, account.sts_endpoint_url);
                             }
                         });
    if (!name_field) {
        reader.error_at(item, item.path + " is missing \"name\" (a unique name of " + k_name_rule +
                                  ", used in logs and metrics)");
    } else if (auto name = reader.read_string(*name_field, "a name of " + k_name_rule)) {
        if (!is_config_name(*name)) {
            reader.error_at(*name_field, name_field->path + " must be a name of " + k_name_rule +
                                             ", got " + shown(*name));
        } else {
            const int line = name_field->value.Mark().line + 1;
            const auto [seen, inserted] = name_lines.emplace(*name, line);
            if (!inserted) {
                reader.error_at(*name_field, "duplicate ses account name " + quote(*name) +
                                                 "; first defined at line " +
                                                 std::to_string(seen->second));
            }
            account.name = *name;
        }
    }
    if (!has_regions) {
        reader.error_at(item, item.path +
                                  " is missing \"regions\" (the AWS regions to list, such as "
                                  "[us-east-1])");
    }
    if (reader.error_count() == errors_before) {
        ses.accounts.push_back(std::move(account));
    }
}

void read_accounts(Reader& reader, const Field& field, SesSettings& ses) {
    if (!field.value.IsSequence()) {
        reader.error_at(field, field.path +
                                   " must be a sequence of accounts (each a mapping with name "
                                   "and regions), got " +
                                   describe(field.value));
        return;
    }
    if (field.value.size() == 0) {
        reader.error_at_key(field, field.path +
                                       " is empty; list at least one account, or remove the ses "
                                       "section");
        return;
    }
    std::map<std::string, int, std::less<>> name_lines;
    std::size_t index = 0;
    for (auto it = field.value.begin(); it != field.value.end(); ++it, ++index) {
        read_account(reader,
                     Field{field.path + "[" + std::to_string(index) + "]", YAML::Node(), *it},
                     name_lines, ses);
    }
}

} // namespace

std::optional<std::string> invalid_endpoint_url_reason(std::string_view url) {
    if (auto reason = invalid_url_reason(url)) {
        return reason;
    }
    const std::size_t authority_start = url.find("://") + 3;
    const std::size_t authority_end =
        std::min(url.find_first_of("/?#\\", authority_start), url.size());
    if (url.substr(authority_start, authority_end - authority_start).find('@') !=
        std::string_view::npos) {
        return "it has a user name; give credentials in the credentials block";
    }
    if (authority_end != url.size()) {
        return url[authority_end] == '/' || url[authority_end] == '\\' ? "it has a path"
               : url[authority_end] == '?'                             ? "it has a query"
                                                                       : "it has a fragment";
    }
    return std::nullopt;
}

std::optional<std::string> invalid_role_arn_reason(std::string_view arn) {
    // arn:<partition>:iam::<account>:role/<path and name>
    constexpr std::string_view k_prefix = "arn:aws";
    if (!arn.starts_with(k_prefix)) {
        return std::string("it does not start with arn:aws");
    }
    std::string_view rest = arn.substr(k_prefix.size());
    const std::size_t partition_end = rest.find(':');
    if (partition_end == std::string_view::npos ||
        !std::all_of(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(partition_end),
                     [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; }) ||
        (partition_end > 0 && rest.front() != '-')) {
        return std::string("the partition is not aws or aws-<name>");
    }
    rest.remove_prefix(partition_end + 1);
    constexpr std::string_view k_service = "iam::";
    if (!rest.starts_with(k_service)) {
        return std::string("the service is not iam, or a region is given");
    }
    rest.remove_prefix(k_service.size());
    const std::size_t account_end = rest.find(':');
    if (account_end != k_account_id_digits || !is_digits(rest.substr(0, account_end))) {
        return std::string("the account is not 12 digits");
    }
    rest.remove_prefix(account_end + 1);
    constexpr std::string_view k_role = "role/";
    if (!rest.starts_with(k_role)) {
        return std::string("the resource is not role/<name>");
    }
    rest.remove_prefix(k_role.size());
    const std::size_t name_start =
        rest.rfind('/') == std::string_view::npos ? 0 : rest.rfind('/') + 1;
    const std::string_view path = rest.substr(0, name_start);
    const std::string_view name = rest.substr(name_start);
    if (name.empty() || name.size() > k_max_role_name_length ||
        !std::all_of(name.begin(), name.end(), is_iam_name_char)) {
        return std::string("the role name is not 1 to 64 letters, digits or _+=,.@-");
    }
    if (path.size() + 1 > k_max_role_path_length || path.find("//") != std::string_view::npos ||
        !std::all_of(path.begin(), path.end(),
                     [](char c) { return is_iam_name_char(c) || c == '/'; })) {
        return std::string("the role path is not /-separated names of letters, digits or "
                           "_+=,.@-");
    }
    return std::nullopt;
}

void read_ses_section(Reader& reader, const Field& section, Document& document) {
    static constexpr std::array<std::string_view, 3> k_keys{"sync_interval", "max_rps", "accounts"};
    if (!section.value.IsMap()) {
        reader.error_at(section, "ses must be a mapping with the keys " + join(k_keys) + ", got " +
                                     describe(section.value));
        return;
    }
    SesSettings& ses = document.config.ses;
    bool has_accounts = false;
    reader.visit_mapping(section.value, "ses", k_keys, "ses.",
                         [&](std::string_view name, const Field& field) {
                             if (name == "sync_interval") {
                                 read_sync_interval(reader, field, ses);
                             } else if (name == "max_rps") {
                                 read_max_rps(reader, field, ses);
                             } else {
                                 has_accounts = true;
                                 read_accounts(reader, field, ses);
                             }
                         });
    if (!has_accounts) {
        reader.error_at_key(section, "ses.accounts is missing: list at least one account (name "
                                     "and regions), or remove the ses section");
    }
}

} // namespace dkimwatch::config_reading
