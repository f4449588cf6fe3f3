#include "dns/trust_anchors.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace dkimwatch {
namespace {

using Strings = std::vector<std::string>;

const std::string k_ds = "example.test. 3600 IN DS 60485 13 2 "
                         "D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A";
const std::string k_dnskey =
    "example.test. 3600 IN DNSKEY 257 3 13 "
    "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==";

TEST(TrustAnchors, ReadsDsAndDnskeyWithCommentsOriginAndTtl) {
    const std::string text = "; the test anchors\n"
                             "$ORIGIN test.\n"
                             "$TTL 600\n" +
                             k_ds + " ; a comment\n\n" + k_dnskey +
                             "\n"
                             "other IN DS 60485 13 2 "
                             "D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A\n";
    auto anchors = load_trust_anchors_from_text(text, "anchors.key");
    ASSERT_TRUE(anchors.ok()) << anchors.error();
    EXPECT_EQ(anchors->zones(), (Strings{"example.test", "other.test"}));
    EXPECT_EQ(ldns_rr_list_rr_count(anchors->records()), 3u);
}

TEST(TrustAnchors, ErrorsNameTheOriginAndLine) {
    struct Case {
        std::string text;
        std::string error_prefix;
    };
    const std::vector<Case> cases = {
        {"", "t.key: no DS or DNSKEY record"},
        {"; only a comment\n\n", "t.key: no DS or DNSKEY record"},
        {k_ds + "\n\nexample.test. IN A 192.0.2.1\n",
         "t.key:3: a A record is not a trust anchor (DS or DNSKEY expected)"},
        {k_ds + "\nexample.test. IN DS nonsense\n", "t.key:2: "},
        {"$INCLUDE other.key\n", "t.key:1: $INCLUDE is not supported"},
        {"; two\n;lines\n" + k_ds + "\nexample.test. IN TXT \"last\"",
         "t.key:4: a TXT record is not a trust anchor"},
    };
    for (const auto& c : cases) {
        auto anchors = load_trust_anchors_from_text(c.text, "t.key");
        ASSERT_FALSE(anchors.ok()) << c.text;
        EXPECT_EQ(anchors.error().rfind(c.error_prefix, 0), 0u)
            << "got: " << anchors.error() << "\nwanted: " << c.error_prefix;
    }
}

TEST(TrustAnchors, UnreadableFileIsAnError) {
    auto anchors = load_trust_anchors("/nonexistent/dkimwatch/root.key");
    ASSERT_FALSE(anchors.ok());
    EXPECT_EQ(anchors.error(),
              "/nonexistent/dkimwatch/root.key: cannot read: No such file or directory");
}

TEST(TrustAnchors, ReadsAFile) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("dkimwatch-anchor-" + std::to_string(getpid()) + ".key");
    {
        std::ofstream out(path);
        out << "; line one\n" << k_dnskey << "\nexample.test. IN MX 10 mail.example.test.\n";
    }
    auto anchors = load_trust_anchors(path.string());
    std::filesystem::remove(path);
    ASSERT_FALSE(anchors.ok());
    EXPECT_EQ(anchors.error(),
              path.string() + ":3: a MX record is not a trust anchor (DS or DNSKEY expected)");
}

TEST(TrustAnchors, DebianRootKeyLoads) {
    const std::string path = "/usr/share/dns/root.key";
    if (!std::filesystem::exists(path)) {
        GTEST_SKIP() << path << " is not installed (dns-root-data)";
    }
    auto anchors = load_trust_anchors(path);
    ASSERT_TRUE(anchors.ok()) << anchors.error();
    EXPECT_EQ(anchors->zones(), (Strings{"."}));
    EXPECT_GE(ldns_rr_list_rr_count(anchors->records()), 1u);
}

TEST(TrustAnchors, MovesKeepTheRecords) {
    auto anchors = load_trust_anchors_from_text(k_ds + "\n", "t.key");
    ASSERT_TRUE(anchors.ok());
    TrustAnchors moved = std::move(anchors).value();
    EXPECT_EQ(moved.zones(), (Strings{"example.test"}));
}

} // namespace
} // namespace dkimwatch
