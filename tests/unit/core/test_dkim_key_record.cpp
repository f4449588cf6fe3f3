#include "core/dkim_key_record.hpp"
#include "core/public_key.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using Bytes = std::vector<unsigned char>;

std::string read_fixture(const std::string& name) {
    const std::string path = std::string(DKIMWATCH_TEST_DATA_DIR) + "/keys/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ADD_FAILURE() << "cannot open fixture " << path;
        return {};
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

Bytes to_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

// The published base64 of the fixture keys: 216 characters ("MIGf...") and 392 ("MIIB...").
const std::string& key1024() {
    static const std::string key = read_fixture("rsa1024_pub_spki.b64");
    return key;
}
const std::string& key2048() {
    static const std::string key = read_fixture("rsa2048_pub_spki.b64");
    return key;
}
const std::string& key_ed25519() {
    static const std::string key = read_fixture("ed25519_pub_raw.b64");
    return key;
}

// ---- valid records ----

TEST(ParseDkimKeyRecord, ParsesTheUsualRecord) {
    auto record = parse_dkim_key_record("v=DKIM1; k=rsa; p=" + key1024());
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_TRUE(record->has_version);
    EXPECT_EQ(record->key_type, "rsa");
    EXPECT_TRUE(record->hash_algorithms.empty());
    EXPECT_TRUE(record->service_types.empty());
    EXPECT_TRUE(record->flags.empty());
    EXPECT_EQ(record->public_key_base64, key1024());
    EXPECT_EQ(record->public_key, to_bytes(read_fixture("rsa1024_pub_spki.der")));
    EXPECT_FALSE(record->revoked());
    EXPECT_FALSE(record->testing());
    EXPECT_TRUE(record->allows_email());
    EXPECT_TRUE(record->allows_sha256());
}

TEST(ParseDkimKeyRecord, PAloneIsEnough) {
    auto record = parse_dkim_key_record("p=" + key2048());
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_FALSE(record->has_version);
    EXPECT_EQ(record->key_type, "rsa");
    EXPECT_EQ(record->public_key, to_bytes(read_fixture("rsa2048_pub_spki.der")));
}

TEST(ParseDkimKeyRecord, AcceptsWhitespaceAroundTagsAndValuesAndATrailingSemicolon) {
    const std::vector<std::string> texts = {
        " v = DKIM1 ; k = rsa ; p = " + key1024() + " ; ",
        "v=DKIM1;k=rsa;p=" + key1024() + ";",
        "\tv=DKIM1;\tk=rsa;\tp=" + key1024() + "\t",
        "v=DKIM1;\r\n k=rsa;\r\n\tp=" + key1024(), // folding whitespace
        "v=DKIM1; k=rsa; p=" + key1024().substr(0, 100) + "\r\n " + key1024().substr(100),
        "v=DKIM1;; k=rsa;;; p=" + key1024() + ";;", // empty specs are skipped
    };
    for (const std::string& text : texts) {
        auto record = parse_dkim_key_record(text);
        ASSERT_TRUE(record.ok()) << text << ": " << record.error();
        EXPECT_TRUE(record->has_version);
        EXPECT_EQ(record->public_key_base64, key1024());
        EXPECT_EQ(record->public_key, to_bytes(read_fixture("rsa1024_pub_spki.der")));
    }
}

TEST(ParseDkimKeyRecord, StringsJoinedWithSpacesInsidePAreHarmless) {
    const std::string& key = key2048();
    auto record = parse_dkim_key_record("v=DKIM1; k=rsa; p=" + key.substr(0, 237) + " " +
                                        key.substr(237, 100) + "  " + key.substr(337));
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->public_key_base64, key);
}

TEST(ParseDkimKeyRecord, PaddingChunksAfterSpacesAreNotMistakenForTags) {
    // "g" and "p" are tag names, but "g==" and "p =" here are the end of the base64 value.
    auto record = parse_dkim_key_record("v=DKIM1; p=AAAA A g==");
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->public_key, (Bytes{0, 0, 0, 2}));
}

TEST(ParseDkimKeyRecord, JoinedTxtStringsOfA2048BitKey) {
    const std::string text = "v=DKIM1; k=rsa; p=" + key2048();
    const std::vector<std::string> strings = {text.substr(0, 255), text.substr(255)};
    EXPECT_EQ(join_txt_strings(strings), text);
    auto record = parse_dkim_key_record(join_txt_strings(strings));
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->public_key.size(), 294u);
}

TEST(ParseDkimKeyRecord, EmptyPMeansRevoked) {
    for (const std::string text : {"v=DKIM1; p=", "v=DKIM1; k=rsa; p= ;", "p=", "p=;n=revoked"}) {
        auto record = parse_dkim_key_record(text);
        ASSERT_TRUE(record.ok()) << text << ": " << record.error();
        EXPECT_TRUE(record->revoked()) << text;
        EXPECT_TRUE(record->public_key.empty()) << text;
        EXPECT_TRUE(record->public_key_base64.empty()) << text;
    }
}

TEST(ParseDkimKeyRecord, IgnoresUnknownTags) {
    auto record =
        parse_dkim_key_record("v=DKIM1; n=rotated 2024-01; x_1=whatever; g=*; Q=1; p=" + key1024());
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->public_key_base64, key1024());
}

TEST(ParseDkimKeyRecord, ParsesColonSeparatedLists) {
    auto record =
        parse_dkim_key_record("v=DKIM1; h=sha1 : sha256; s=email:*; t=y:s; p=" + key1024());
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->hash_algorithms, (std::vector<std::string>{"sha1", "sha256"}));
    EXPECT_EQ(record->service_types, (std::vector<std::string>{"email", "*"}));
    EXPECT_EQ(record->flags, (std::vector<std::string>{"y", "s"}));
    EXPECT_TRUE(record->testing());
    EXPECT_TRUE(record->allows_email());
    EXPECT_TRUE(record->allows_sha256());
}

TEST(ParseDkimKeyRecord, EmptyTMeansNoFlags) {
    auto record = parse_dkim_key_record("t=; p=" + key1024());
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_TRUE(record->flags.empty());
    EXPECT_FALSE(record->testing());
}

struct PolicyCase {
    std::string tags;
    bool testing;
    bool allows_email;
    bool allows_sha256;
};

TEST(ParseDkimKeyRecord, TestingServiceAndHashPolicies) {
    const std::vector<PolicyCase> cases = {
        {"", false, true, true},
        {"t=y;", true, true, true},
        {"t=Y;", true, true, true},
        {"t=s;", false, true, true},
        {"t=s:y;", true, true, true},
        {"s=email;", false, true, true},
        {"s=*;", false, true, true},
        {"s=dns;", false, false, true},
        {"s=dns:EMAIL;", false, true, true},
        {"h=sha256;", false, true, true},
        {"h=SHA256;", false, true, true},
        {"h=sha1;", false, true, false},
        {"h=sha1:sha512;", false, true, false},
    };
    for (const PolicyCase& c : cases) {
        auto record = parse_dkim_key_record("v=DKIM1; " + c.tags + " p=" + key1024());
        ASSERT_TRUE(record.ok()) << c.tags << ": " << record.error();
        EXPECT_EQ(record->testing(), c.testing) << c.tags;
        EXPECT_EQ(record->allows_email(), c.allows_email) << c.tags;
        EXPECT_EQ(record->allows_sha256(), c.allows_sha256) << c.tags;
    }
}

TEST(ParseDkimKeyRecord, Ed25519KeyType) {
    auto record = parse_dkim_key_record("v=DKIM1; k=ed25519; p=" + key_ed25519());
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->key_type, "ed25519");
    EXPECT_EQ(record->public_key.size(), 32u);
    auto key = decode_dkim_public_key(record->key_type, record->public_key);
    ASSERT_TRUE(key.ok()) << key.error();
    EXPECT_EQ(key->algorithm, KeyAlgorithm::ed25519);
}

TEST(ParseDkimKeyRecord, KeyTypeValueIsCaseInsensitiveAndStoredLowercase) {
    auto record = parse_dkim_key_record("k=RSA; p=" + key1024());
    ASSERT_TRUE(record.ok()) << record.error();
    EXPECT_EQ(record->key_type, "rsa");
}

TEST(ParseDkimKeyRecord, ParsedKeyDecodes) {
    auto record = parse_dkim_key_record("v=DKIM1; k=rsa; p=" + key2048());
    ASSERT_TRUE(record.ok());
    auto key = decode_dkim_public_key(record->key_type, record->public_key);
    ASSERT_TRUE(key.ok()) << key.error();
    EXPECT_EQ(key->bits, 2048);
}

// ---- malformed records: each fault named ----

struct ErrorCase {
    std::string name;
    std::string text;
    std::string error;
};

std::vector<ErrorCase> error_cases() {
    const std::string& k1 = key1024();
    const std::string& k2 = key2048();
    const std::string pem = read_fixture("rsa1024_pub_spki.pem");
    const std::string pkcs1_der_b64 =
        base64_encode(to_bytes(read_fixture("rsa1024_pub_pkcs1.der")));
    std::string unpadded = pkcs1_der_b64;
    unpadded.erase(unpadded.find('='));
    const std::string exactly_255 = "v=DKIM1; k=rsa; p=" + k2.substr(0, 237);
    const std::string cut_at_4 = "v=DKIM1; k=rsa; p=" + k2.substr(0, 236);
    return {
        // tag list structure
        {"empty", "", "no p= tag (the record is empty)"},
        {"blank", " ; ;\t", "no p= tag (the record is empty)"},
        {"duplicate p", "v=DKIM1; p=" + k1 + "; p=" + k1, "duplicate tag p"},
        {"duplicate k", "k=rsa; k=rsa; p=" + k1, "duplicate tag k"},
        {"duplicate unknown", "x=1; x=2; p=" + k1, "duplicate tag x"},
        {"v not first", "k=rsa; v=DKIM1; p=" + k1, "v= must be the first tag"},
        {"v last", "p=" + k1 + "; v=DKIM1", "v= must be the first tag"},
        {"v wrong", "v=DKIM2; p=" + k1, "v=DKIM2: the version must be DKIM1"},
        {"v lowercase", "v=dkim1; p=" + k1, "v=dkim1: the version must be DKIM1"},
        {"v empty", "v=; p=" + k1, "v=: the version must be DKIM1"},
        {"v spf", "v=spf1 include:amazonses.com ~all",
         "v=spf1 include:amazons...: the version must be DKIM1"},
        {"no p", "v=DKIM1; k=rsa", "no p= tag"},
        {"uppercase P", "v=DKIM1; P=" + k1,
         "no p= tag (there is a P= tag, but tag names are case-sensitive)"},
        {"unknown k", "v=DKIM1; k=dsa; p=" + k1, "k=dsa: unknown key type (known: rsa, ed25519)"},
        {"empty k", "v=DKIM1; k=; p=", "k= is empty: the key type must be rsa or ed25519"},
        {"no equals", "v=DKIM1; rsa; p=" + k1, "tag list cannot be parsed: \"rsa\" has no '='"},
        {"no equals long", "just some text here, not a tag list",
         "tag list cannot be parsed: \"just some text here,...\" has no '='"},
        {"bare key", k1,
         "tag list cannot be parsed: \"MIGfMA0GCSqGSIb3DQEB...\" has no '=' (a "
         "bare key without \"p=\" in front?)"},
        {"empty name", "v=DKIM1; =rsa; p=" + k1,
         "tag list cannot be parsed: a tag has no name (\"=rsa\")"},
        {"name starts with digit", "v=DKIM1; 1k=rsa; p=" + k1,
         "tag list cannot be parsed: tag name \"1k\" is not valid (a letter followed by letters, "
         "digits or '_')"},
        {"name with hyphen", "v=DKIM1; key-type=rsa; p=" + k1,
         "tag list cannot be parsed: tag name \"key-type\" is not valid (a letter followed by "
         "letters, digits or '_')"},
        {"name with space", "v=DKIM1; k t=rsa; p=" + k1,
         "tag list cannot be parsed: tag name \"k t\" is not valid (a letter followed by letters, "
         "digits or '_')"},
        {"name with control byte", std::string("v=DKIM1; k\x01=rsa; p=") + k1,
         "tag list cannot be parsed: tag name \"k\\x01\" is not valid (a letter followed by "
         "letters, digits or '_')"},
        // PEM lines pasted in
        {"pem header and footer",
         "v=DKIM1; k=rsa; p=-----BEGIN PUBLIC KEY-----" + k1 + "-----END PUBLIC KEY-----",
         "p= is not valid base64: a PEM header (-----BEGIN PUBLIC KEY-----) was pasted in"},
        {"whole pem file with line breaks", "v=DKIM1; k=rsa; p=" + pem,
         "p= is not valid base64: a PEM header (-----BEGIN PUBLIC KEY-----) was pasted in"},
        {"pkcs1 pem header", "p=-----BEGIN RSA PUBLIC KEY----- MIGJAoGBAMCe",
         "p= is not valid base64: a PEM header (-----BEGIN RSA PUBLIC KEY-----) was pasted in"},
        {"pem footer only", "v=DKIM1; k=rsa; p=" + k1 + "-----END PUBLIC KEY-----",
         "p= is not valid base64: a PEM footer (-----END PUBLIC KEY-----) was pasted in"},
        {"pem footer after space", "v=DKIM1; k=rsa; p=" + k1 + " -----END PUBLIC KEY-----",
         "p= is not valid base64: a PEM footer (-----END PUBLIC KEY-----) was pasted in"},
        {"pem without p", pem,
         "a PEM header (-----BEGIN PUBLIC KEY-----) was pasted into the record"},
        {"pem damaged", "p=-----BEGIN" + k1,
         "p= is not valid base64: a PEM header (-----BEGIN ...-----) was pasted in"},
        // line breaks
        {"newline between tags", "v=DKIM1; k=rsa;\np=" + k1,
         "a line break was pasted into the record"},
        {"newline inside p", "v=DKIM1; k=rsa; p=" + k1.substr(0, 64) + "\n" + k1.substr(64),
         "a line break was pasted into the record"},
        {"crlf inside p", "v=DKIM1; k=rsa; p=" + k1.substr(0, 64) + "\r\n" + k1.substr(64),
         "a line break was pasted into the record"},
        {"cr alone", "v=DKIM1; k=rsa; p=" + k1.substr(0, 64) + "\r" + k1.substr(64),
         "a line break was pasted into the record"},
        {"trailing newline", "v=DKIM1; k=rsa; p=" + k1 + "\n",
         "a line break was pasted into the record"},
        {"lf then space", "v=DKIM1;\n k=rsa; p=" + k1, "a line break was pasted into the record"},
        // quotes
        {"quotes around p", "v=DKIM1; k=rsa; p=\"" + k1 + "\"",
         "p= is not valid base64: it contains a quote character, left in from the zone file"},
        {"quotes between joined strings",
         "v=DKIM1; k=rsa; p=" + k2.substr(0, 200) + "\" \"" + k2.substr(200),
         "p= is not valid base64: it contains a quote character, left in from the zone file"},
        {"single quotes in p", "v=DKIM1; p='" + k1 + "'",
         "p= is not valid base64: it contains a quote character, left in from the zone file"},
        {"record in quotes", "\"v=DKIM1; k=rsa; p=" + k1 + "\"",
         "the record contains a quote character, left in from the zone file"},
        {"quoted tag value", "v=DKIM1; k=\"rsa\"; p=" + k1,
         "the record contains a quote character, left in from the zone file"},
        {"quoted tag without equals", "v=DKIM1; \"k\"; p=" + k1,
         "the record contains a quote character, left in from the zone file"},
        // zone-file escapes
        {"escaped semicolons", "v=DKIM1\\; k=rsa\\; p=" + k1,
         "escaped \\; found: the backslash is part of the published text"},
        {"one escaped semicolon", "v=DKIM1; k=rsa\\; p=" + k1,
         "escaped \\; found: the backslash is part of the published text"},
        {"other backslash in p", "v=DKIM1; p=" + k1.substr(0, 10) + "\\" + k1.substr(10),
         "p= is not valid base64: it contains '\\' at offset 10"},
        // missing ';'
        {"k then p", "v=DKIM1; k=rsa p=" + k1,
         "tag k has value \"rsa p=MIGf...\": a ';' seems to be missing between two tags"},
        {"v then k", "v=DKIM1 k=rsa; p=" + k1,
         "tag v has value \"DKIM1 k=rsa\": a ';' seems to be missing between two tags"},
        {"no space either", "v=DKIM1; k=rsap=" + k1,
         "tag k has value \"rsap=MIGf...\": a ';' seems to be missing between two tags"},
        {"t then k", "v=DKIM1; t=y k=rsa; p=" + k1,
         "tag t has value \"y k=rsa\": a ';' seems to be missing between two tags"},
        {"p then k", "v=DKIM1; p=" + k1 + " k=rsa",
         "tag p has value \"..." + k1.substr(k1.size() - 7) +
             " k=rsa\": a ';' seems to be missing between two tags"},
        {"note swallows p", "v=DKIM1; n=new key p=" + k1,
         "tag n has value \"new key p=MIGf...\": a ';' seems to be missing between two tags"},
        {"h then s", "h=sha256 s=email; p=" + k1,
         "tag h has value \"sha256 s=emai...\": a ';' seems to be missing between two tags"},
        // lists
        {"empty h", "v=DKIM1; h=; p=" + k1,
         "h= is empty: list at least one item or leave the tag out"},
        {"empty s", "v=DKIM1; s= ; p=" + k1,
         "s= is empty: list at least one item or leave the tag out"},
        {"empty item", "v=DKIM1; h=sha1::sha256; p=" + k1,
         "h=sha1::sha256: the list has an empty item"},
        {"trailing colon", "v=DKIM1; s=email:; p=" + k1, "s=email:: the list has an empty item"},
        {"space instead of colon", "v=DKIM1; h=sha1 sha256; p=" + k1,
         "h=sha1 sha256: list items must be separated by ':'"},
        // base64 in p
        {"bad character", "v=DKIM1; p=MIGf!" + k1.substr(4),
         "p= is not valid base64: it contains '!' at offset 4"},
        {"non-ascii", "v=DKIM1; p=MIGf\xC3\xA9" + k1.substr(4),
         "p= is not valid base64: it contains byte 0xC3 at offset 4"},
        {"comma", "v=DKIM1; p=" + k1.substr(0, 100) + "," + k1.substr(100),
         "p= is not valid base64: it contains ',' at offset 100"},
        {"base64url", "v=DKIM1; p=" + k1.substr(0, 20) + "-_" + k1.substr(22),
         "p= is not valid base64: it contains '-' (base64url?); DKIM needs standard base64 with "
         "'+' and '/'"},
        {"two keys joined", "v=DKIM1; k=ed25519; p=" + key_ed25519() + key_ed25519(),
         "p= is not valid base64: '=' padding appears before the end (two values joined?)"},
        {"too much padding", "v=DKIM1; p=QQ===", "p= is not valid base64: too much '=' padding"},
        {"cut 2048 key", "v=DKIM1; k=rsa; p=" + k2.substr(0, 367),
         "p= is not valid base64 (length 367 is not a multiple of 4; was the value cut at 255 "
         "bytes?)"},
        {"cut 1024 key by one", "v=DKIM1; k=rsa; p=" + k1.substr(0, 215),
         "p= is not valid base64 (length 215 is not a multiple of 4; was the value cut at 255 "
         "bytes?)"},
        {"record of exactly 255 bytes", exactly_255,
         "p= is not valid base64 (length 237 is not a multiple of 4; was the value cut at 255 "
         "bytes?)"},
        {"padding missing", "v=DKIM1; k=rsa; p=" + unpadded,
         "p= is not valid base64 (length 187 is not a multiple of 4; is the '=' padding missing?)"},
        {"short odd length", "v=DKIM1; p=abcde",
         "p= is not valid base64 (length 5 is not a multiple of 4)"},
        {"openssh key", "v=DKIM1; p=ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC",
         "p= is not valid base64: an OpenSSH public key (ssh-rsa ...) was pasted in; publish the "
         "base64 DER SubjectPublicKeyInfo"},
        {"openssh ed25519 key", "v=DKIM1; k=ed25519; p=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC5p",
         "p= is not valid base64: an OpenSSH public key (ssh-ed25519 ...) was pasted in; publish "
         "the base64 DER SubjectPublicKeyInfo"},
    };
}

TEST(ParseDkimKeyRecord, NamesEachMalformation) {
    for (const ErrorCase& c : error_cases()) {
        auto record = parse_dkim_key_record(c.text);
        ASSERT_FALSE(record.ok()) << c.name;
        EXPECT_EQ(record.error(), c.error) << c.name;
    }
}

TEST(ParseDkimKeyRecord, ExampleMessagesOfTheHeader) {
    // The 236-character prefix is a multiple of 4 and decodes; it is the DER check that says
    // the key is cut.
    auto record = parse_dkim_key_record("v=DKIM1; k=rsa; p=" + key2048().substr(0, 236));
    ASSERT_TRUE(record.ok());
    auto key = decode_dkim_public_key(record->key_type, record->public_key);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error(), "not a DER public key: the bytes end early (truncated?)");
}

TEST(ParseDkimKeyRecord, SurvivesRandomAndMutatedText) {
    std::mt19937 random(3);
    const std::string valid = "v=DKIM1; k=rsa; h=sha256; t=y; p=" + key1024();
    const std::string alphabet = "vkhstpnPD=;:\" \t\r\n\\-_=+/ABCabc019\x01\xFF";
    for (int round = 0; round < 2000; ++round) {
        std::string text;
        if (round % 2 == 0) {
            text.resize(random() % 80);
            for (auto& c : text) {
                c = alphabet[random() % alphabet.size()];
            }
        } else {
            text = valid;
            for (int edits = 1 + random() % 3; edits > 0; --edits) {
                text[random() % text.size()] = alphabet[random() % alphabet.size()];
            }
        }
        auto record = parse_dkim_key_record(text);
        if (record.ok()) {
            EXPECT_EQ(record->revoked(), record->public_key.empty()) << text;
        } else {
            EXPECT_FALSE(record.error().empty());
        }
        (void)looks_like_dkim_key_record(text);
    }
    for (std::size_t length = 0; length <= valid.size(); ++length) {
        auto record = parse_dkim_key_record(valid.substr(0, length));
        if (record.ok()) { // only cuts at a multiple of 4 inside p can parse
            EXPECT_EQ((length - 33) % 4, 0u) << length;
        }
    }
}

// ---- helpers ----

TEST(JoinTxtStrings, JoinsWithNothingBetween) {
    EXPECT_EQ(join_txt_strings({}), "");
    EXPECT_EQ(join_txt_strings({""}), "");
    EXPECT_EQ(join_txt_strings({"v=DKIM1; p=MIGf", "MA0G", "", " x"}), "v=DKIM1; p=MIGfMA0G x");
}

TEST(LooksLikeDkimKeyRecord, RecognisesDkimRecordsLeniently) {
    for (const std::string text :
         {"v=DKIM1; k=rsa; p=MIGf", "v=DKIM1", "p=MIGf", "p=", "k=rsa; p=", " p = abc", "\"p=abc\"",
          "t=y;p=abc", "k=ed25519", "v=DKIM2; p=x", "v=dkim1; p=x", "v=DKIM1 k=rsa p=x",
          "-----BEGIN PUBLIC KEY-----MIGf"}) {
        EXPECT_TRUE(looks_like_dkim_key_record(text)) << text;
    }
    EXPECT_TRUE(looks_like_dkim_key_record(key1024()));
}

TEST(LooksLikeDkimKeyRecord, IgnoresUnrelatedTxtRecords) {
    for (const std::string text :
         {"", "google-site-verification=abcdefp=xyz", "v=spf1 include:amazonses.com ~all",
          "v=DMARC1; p=reject; rua=mailto:d@example.com", "MS=ms12345678", "hello world", "ap=1",
          "amazonses:abcdefkp=", "v=STSv1; id=2024", "keep=1", "MIGf"}) {
        EXPECT_FALSE(looks_like_dkim_key_record(text)) << text;
    }
}

} // namespace
} // namespace dkimwatch
