#include "app/version_info.hpp"

#include <CLI/Version.hpp>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <spdlog/version.h>

namespace dkimwatch {

std::string version_text() {
    std::string text = "dkimwatch " DKIMWATCH_VERSION "\n";
    text += "built with:\n";
    text += "  yaml-cpp " DKIMWATCH_YAML_CPP_VERSION "\n";
    text += "  libcurl " DKIMWATCH_CURL_VERSION "\n";
    text += "  SQLite " DKIMWATCH_SQLITE_VERSION "\n";
    text += "  prometheus-cpp " DKIMWATCH_PROMETHEUS_CPP_VERSION "\n";
    text += "  libsystemd " DKIMWATCH_LIBSYSTEMD_VERSION "\n";
    text += "  spdlog " + std::to_string(SPDLOG_VER_MAJOR) + "." +
            std::to_string(SPDLOG_VER_MINOR) + "." + std::to_string(SPDLOG_VER_PATCH) + "\n";
    text += "  nlohmann-json " + std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
            std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
            std::to_string(NLOHMANN_JSON_VERSION_PATCH) + "\n";
    text += "  CLI11 " CLI11_VERSION "\n";
    text += std::string("  ") + OpenSSL_version(OPENSSL_VERSION) + "\n";
    return text;
}

} // namespace dkimwatch
