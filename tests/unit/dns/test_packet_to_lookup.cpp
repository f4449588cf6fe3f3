#include "dns/packet_to_lookup.hpp"

#include <cstdlib>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <random>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Strings = std::vector<std::string>;

// A response built with ldns from zone-file lines.
struct ResponseSpec {
    std::uint16_t id = 0x1234;
    std::string question = "sel._domainkey.example.com. IN TXT";
    ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
    bool qr = true;
    bool tc = false;
    std::vector<std::string> answers;
    std::vector<std::string> authority;
};

Bytes build_response(const ResponseSpec& spec) {
    ldns_pkt* pkt = ldns_pkt_new();
    ldns_pkt_set_id(pkt, spec.id);
    ldns_pkt_set_qr(pkt, spec.qr);
    ldns_pkt_set_tc(pkt, spec.tc);
    ldns_pkt_set_rd(pkt, true);
    ldns_pkt_set_ra(pkt, true);
    ldns_pkt_set_rcode(pkt, spec.rcode);
    ldns_rr* rr = nullptr;
    EXPECT_EQ(ldns_rr_new_question_frm_str(&rr, spec.question.c_str(), nullptr, nullptr),
              LDNS_STATUS_OK);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, rr);
    for (const auto& line : spec.answers) {
        rr = nullptr;
        EXPECT_EQ(ldns_rr_new_frm_str(&rr, line.c_str(), 300, nullptr, nullptr), LDNS_STATUS_OK)
            << line;
        ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
    }
    for (const auto& line : spec.authority) {
        rr = nullptr;
        EXPECT_EQ(ldns_rr_new_frm_str(&rr, line.c_str(), 300, nullptr, nullptr), LDNS_STATUS_OK)
            << line;
        ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, rr);
    }
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    EXPECT_EQ(ldns_pkt2wire(&wire, pkt, &size), LDNS_STATUS_OK);
    Bytes out(wire, wire + size);
    std::free(wire);
    ldns_pkt_free(pkt);
    return out;
}

const std::string k_name = "sel._domainkey.example.com";

ParsedAnswer parse(const Bytes& wire, RecordType type = RecordType::txt,
                   const std::string& name = k_name, std::uint16_t id = 0x1234) {
    return parse_response(wire, id, name, type);
}

// --- build_query ---------------------------------------------------------------------------

TEST(BuildQuery, ExactWireFormat) {
    const Bytes query = build_query("example.com", RecordType::txt, 0xbeef, 1232);
    const Bytes expected{
        0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,    // header, RD
        7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',  3,    'c',  'o',  'm',  0, // qname
        0x00, 0x10, 0x00, 0x01,                                                    // TXT IN
        0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // OPT 1232, no DO
    };
    EXPECT_EQ(query, expected);
}

TEST(BuildQuery, ParsesBackWithLdns) {
    const Bytes query = build_query("Sel._DomainKey.example.com.", RecordType::cname, 7, 4096);
    ldns_pkt* pkt = nullptr;
    ASSERT_EQ(ldns_wire2pkt(&pkt, query.data(), query.size()), LDNS_STATUS_OK);
    EXPECT_EQ(ldns_pkt_id(pkt), 7);
    EXPECT_TRUE(ldns_pkt_rd(pkt));
    EXPECT_FALSE(ldns_pkt_qr(pkt));
    EXPECT_EQ(ldns_pkt_get_opcode(pkt), LDNS_PACKET_QUERY);
    EXPECT_EQ(ldns_pkt_qdcount(pkt), 1);
    EXPECT_EQ(ldns_pkt_ancount(pkt), 0);
    EXPECT_TRUE(ldns_pkt_edns(pkt));
    EXPECT_EQ(ldns_pkt_edns_udp_size(pkt), 4096);
    EXPECT_FALSE(ldns_pkt_edns_do(pkt));
    const ldns_rr* q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    EXPECT_EQ(ldns_rr_get_type(q), LDNS_RR_TYPE_CNAME);
    EXPECT_EQ(ldns_rr_get_class(q), LDNS_RR_CLASS_IN);
    char* owner = ldns_rdf2str(ldns_rr_owner(q));
    EXPECT_STREQ(owner, "Sel._DomainKey.example.com.");
    std::free(owner);
    ldns_pkt_free(pkt);
}

TEST(BuildQuery, SmallBufferSizeIsRaisedTo512) {
    const Bytes query = build_query("example.com", RecordType::txt, 1, 0);
    ASSERT_GE(query.size(), 11u);
    const Bytes opt(query.end() - 11, query.end());
    EXPECT_EQ(opt, (Bytes{0x00, 0x00, 0x29, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
}

TEST(BuildQuery, InvalidNamesGiveNothing) {
    EXPECT_TRUE(build_query("", RecordType::txt, 1, 1232).empty());
    EXPECT_TRUE(
        build_query(std::string(64, 'a') + ".example.com", RecordType::txt, 1, 1232).empty());
    std::string long_name;
    for (int i = 0; i < 60; ++i) {
        long_name += "abcd.";
    }
    EXPECT_TRUE(build_query(long_name + "com", RecordType::txt, 1, 1232).empty());
}

// --- parse_response: answers --------------------------------------------------------------

TEST(ParseResponse, TxtRecordsWithSeveralStrings) {
    ResponseSpec spec;
    spec.answers = {k_name + ". IN TXT \"v=DKIM1; k=rsa; \" \"p=MIGf\"",
                    k_name + ". IN TXT \"second\"", k_name + ". IN A 192.0.2.1"};
    const ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_FALSE(answer.truncated);
    EXPECT_EQ(answer.rcode, 0);
    EXPECT_TRUE(answer.cname_chain.empty());
    EXPECT_TRUE(answer.has_requested_type);
    const std::vector<Strings> expected{{"v=DKIM1; k=rsa; ", "p=MIGf"}, {"second"}};
    EXPECT_EQ(answer.txt_records, expected);
    EXPECT_EQ(answer.error, "");
}

TEST(ParseResponse, TxtStringsAreRawBytes) {
    ResponseSpec spec;
    spec.answers = {k_name + ". IN TXT \"a\\000b\\255\\\"\" \"\""};
    const ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    const std::vector<Strings> expected{{std::string("a\0b\xff\"", 5), ""}};
    EXPECT_EQ(answer.txt_records, expected);
}

TEST(ParseResponse, QuestionNameMatchesCaseInsensitively) {
    ResponseSpec spec;
    spec.question = "SEL._DomainKey.EXAMPLE.com. IN TXT";
    spec.answers = {"sel._domainkey.example.COM. IN TXT \"x\""};
    const ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_EQ(answer.txt_records, (std::vector<Strings>{{"x"}}));
}

TEST(ParseResponse, NoDataWhenOnlyOtherTypesOrOwners) {
    ResponseSpec spec;
    spec.answers = {"other.example.com. IN TXT \"not ours\"", k_name + ". IN A 192.0.2.1",
                    k_name + ". CH TXT \"wrong class\""};
    spec.authority = {"example.com. IN SOA ns.example.com. host.example.com. 1 2 3 4 5"};
    const ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_FALSE(answer.has_requested_type);
    EXPECT_TRUE(answer.txt_records.empty());
    EXPECT_TRUE(answer.cname_chain.empty());
}

TEST(ParseResponse, RcodeAndTruncationAreReported) {
    ResponseSpec spec;
    spec.rcode = LDNS_RCODE_NXDOMAIN;
    spec.tc = true;
    const ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_EQ(answer.rcode, 3);
    EXPECT_TRUE(answer.truncated);
    EXPECT_FALSE(answer.has_requested_type);
}

TEST(ParseResponse, FollowsCnameChainInOrderWhateverTheRecordOrder) {
    ResponseSpec spec;
    spec.answers = {"final.example.net. IN TXT \"data\"",
                    "mid.Example.ORG. IN CNAME Final.Example.NET.",
                    "unrelated.example.com. IN CNAME elsewhere.example.com.",
                    k_name + ". IN CNAME MID.example.org.",
                    "elsewhere.example.com. IN TXT \"ignored\"",
                    k_name + ". IN TXT \"shadowed by the CNAME\""};
    const ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_EQ(answer.cname_chain, (Strings{"mid.example.org", "final.example.net"}));
    EXPECT_TRUE(answer.has_requested_type);
    EXPECT_EQ(answer.txt_records, (std::vector<Strings>{{"data"}}));
}

TEST(ParseResponse, ChainEndingWithoutDataHasNoRequestedType) {
    ResponseSpec spec;
    spec.answers = {k_name + ". IN CNAME key1.dkim.amazonses.com."};
    const ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_EQ(answer.cname_chain, (Strings{"key1.dkim.amazonses.com"}));
    EXPECT_FALSE(answer.has_requested_type);
}

TEST(ParseResponse, NxdomainAfterChainKeepsTheChain) {
    ResponseSpec spec;
    spec.rcode = LDNS_RCODE_NXDOMAIN;
    spec.answers = {k_name + ". IN CNAME gone.example.net."};
    const ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_EQ(answer.rcode, 3);
    EXPECT_EQ(answer.cname_chain, (Strings{"gone.example.net"}));
}

TEST(ParseResponse, CnameLoopTerminatesAndShowsTheRepeatedName) {
    ResponseSpec spec;
    spec.answers = {k_name + ". IN CNAME b.example.com.", "b.example.com. IN CNAME c.example.com.",
                    "c.example.com. IN CNAME " + k_name + "."};
    const ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_EQ(answer.cname_chain, (Strings{"b.example.com", "c.example.com", k_name}));
    EXPECT_FALSE(answer.has_requested_type);
}

TEST(ParseResponse, SelfLoopTerminates) {
    ResponseSpec spec;
    spec.answers = {k_name + ". IN CNAME " + k_name + "."};
    const ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_EQ(answer.cname_chain, (Strings{k_name}));
}

TEST(ParseResponse, OverlongChainInOneMessageIsRejected) {
    ResponseSpec spec;
    spec.answers.push_back(k_name + ". IN CNAME n0.example.com.");
    for (int i = 0; i < 70; ++i) {
        spec.answers.push_back("n" + std::to_string(i) + ".example.com. IN CNAME n" +
                               std::to_string(i + 1) + ".example.com.");
    }
    const ParsedAnswer answer = parse(build_response(spec));
    EXPECT_FALSE(answer.parsed);
    EXPECT_EQ(answer.error, "CNAME chain in one message longer than 64");
    EXPECT_TRUE(answer.cname_chain.empty());
}

TEST(ParseResponse, CnameQueryReturnsTheTargetOnly) {
    ResponseSpec spec;
    spec.question = k_name + ". IN CNAME";
    spec.answers = {k_name + ". IN CNAME Token1.DKIM.amazonses.com.",
                    "token1.dkim.amazonses.com. IN CNAME further.example."};
    const ParsedAnswer answer = parse(build_response(spec), RecordType::cname);
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_TRUE(answer.has_requested_type);
    EXPECT_EQ(answer.cname_chain, (Strings{"token1.dkim.amazonses.com"}));
    EXPECT_TRUE(answer.txt_records.empty());
}

TEST(ParseResponse, CnameQueryWithoutCname) {
    ResponseSpec spec;
    spec.question = k_name + ". IN CNAME";
    spec.answers = {"other.example.com. IN CNAME x.example.com."};
    const ParsedAnswer answer = parse(build_response(spec), RecordType::cname);
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_FALSE(answer.has_requested_type);
    EXPECT_TRUE(answer.cname_chain.empty());
}

// --- parse_response: questions that are not ours -------------------------------------------

TEST(ParseResponse, WrongIdIsRejected) {
    const ParsedAnswer answer = parse(build_response(ResponseSpec{}), RecordType::txt, k_name, 99);
    EXPECT_FALSE(answer.parsed);
    EXPECT_EQ(answer.error, "id 4660 is not the id 99 that was sent");
}

TEST(ParseResponse, QueryInsteadOfResponseIsRejected) {
    ResponseSpec spec;
    spec.qr = false;
    const ParsedAnswer answer = parse(build_response(spec));
    EXPECT_FALSE(answer.parsed);
    EXPECT_EQ(answer.error, "QR bit not set (not a response)");
}

TEST(ParseResponse, WrongQuestionNameIsRejected) {
    ResponseSpec spec;
    spec.question = "Other.example.com. IN TXT";
    spec.answers = {"other.example.com. IN TXT \"x\""};
    const ParsedAnswer answer = parse(build_response(spec));
    EXPECT_FALSE(answer.parsed);
    EXPECT_EQ(answer.error, "question is for other.example.com, not " + k_name);
    EXPECT_TRUE(answer.txt_records.empty());
}

TEST(ParseResponse, WrongQuestionTypeIsRejected) {
    ResponseSpec spec;
    spec.question = k_name + ". IN CNAME";
    const ParsedAnswer answer = parse(build_response(spec));
    EXPECT_FALSE(answer.parsed);
    EXPECT_EQ(answer.error, "question type is not TXT");
}

TEST(ParseResponse, WrongQuestionClassIsRejected) {
    ResponseSpec spec;
    spec.question = k_name + ". CH TXT";
    const ParsedAnswer answer = parse(build_response(spec));
    EXPECT_FALSE(answer.parsed);
    EXPECT_EQ(answer.error, "question class is not IN");
}

TEST(ParseResponse, NonCanonicalRequestNameStillMatches) {
    const ParsedAnswer answer =
        parse(build_response(ResponseSpec{}), RecordType::txt, "SEL._domainkey.example.com.");
    EXPECT_TRUE(answer.parsed) << answer.error;
}

// --- parse_response: hostile bytes ----------------------------------------------------------

TEST(ParseResponse, ShorterThanHeader) {
    const Bytes wire{0x12, 0x34, 0x81};
    const ParsedAnswer answer = parse(wire);
    EXPECT_FALSE(answer.parsed);
    EXPECT_EQ(answer.error, "message shorter than a DNS header (3 bytes)");
}

TEST(ParseResponse, HeaderOnlyKeepsRcodeAndTc) {
    // SERVFAIL, TC, qdcount 0: unusable, but the header is still read.
    const Bytes wire{0x12, 0x34, 0x82, 0x82, 0, 0, 0, 0, 0, 0, 0, 0};
    const ParsedAnswer answer = parse(wire);
    EXPECT_FALSE(answer.parsed);
    EXPECT_EQ(answer.rcode, 2);
    EXPECT_TRUE(answer.truncated);
    EXPECT_EQ(answer.error, "question section does not hold exactly one question");
}

TEST(ParseResponse, HugeCountsWithoutRecords) {
    Bytes wire{0x12, 0x34, 0x81, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const ParsedAnswer answer = parse(wire);
    EXPECT_FALSE(answer.parsed);
    EXPECT_NE(answer.error.find("unparseable message"), std::string::npos) << answer.error;
}

TEST(ParseResponse, CompressionLoopInQuestion) {
    // The question name is a pointer to itself.
    const Bytes wire{0x12, 0x34, 0x81, 0x80, 0,    1,    0,    0,    0,
                     0,    0,    0,    0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01};
    const ParsedAnswer answer = parse(wire);
    EXPECT_FALSE(answer.parsed);
    EXPECT_NE(answer.error.find("unparseable message"), std::string::npos) << answer.error;
}

TEST(ParseResponse, CompressionLoopInAnswer) {
    Bytes wire = build_response(ResponseSpec{});
    wire[7] = 1; // ancount 1
    const std::size_t offset = wire.size();
    // owner: pointer to itself; TXT IN TTL 0, rdlength 2, one string "x".
    const Bytes rr{0xc0, 0x00, 0x00, 0x10, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x02, 0x01, 'x'};
    wire.insert(wire.end(), rr.begin(), rr.end());
    wire[offset] = static_cast<std::uint8_t>(0xc0 | (offset >> 8));
    wire[offset + 1] = static_cast<std::uint8_t>(offset & 0xff);
    const ParsedAnswer answer = parse(wire);
    EXPECT_FALSE(answer.parsed);
    EXPECT_TRUE(answer.txt_records.empty());
}

TEST(ParseResponse, BadCharacterStringLengthInTxt) {
    Bytes wire = build_response(ResponseSpec{});
    wire[7] = 1;
    // owner: pointer to the question name; string length 5 but only 1 byte of rdata left.
    const Bytes rr{0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x02, 0x05, 'x'};
    wire.insert(wire.end(), rr.begin(), rr.end());
    const ParsedAnswer answer = parse(wire);
    EXPECT_FALSE(answer.parsed);
    EXPECT_TRUE(answer.txt_records.empty());
}

TEST(ParseResponse, EveryTruncationOfAValidMessageIsSafe) {
    ResponseSpec spec;
    spec.answers = {k_name + ". IN CNAME b.example.com.", "b.example.com. IN TXT \"abc\" \"def\""};
    const Bytes full = build_response(spec);
    ASSERT_TRUE(parse(full).parsed);
    for (std::size_t size = 0; size < full.size(); ++size) {
        const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
        const ParsedAnswer answer = parse(cut);
        EXPECT_FALSE(answer.parsed && answer.has_requested_type) << "size " << size;
    }
}

TEST(ParseResponse, MutatedAndRandomBytesNeverCrash) {
    ResponseSpec spec;
    spec.answers = {k_name + ". IN CNAME b.example.com.", "b.example.com. IN CNAME c.example.com.",
                    "c.example.com. IN TXT \"abc\" \"def\""};
    const Bytes full = build_response(spec);
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> byte(0, 255);
    int parsed = 0;
    for (int round = 0; round < 3000; ++round) {
        Bytes wire = full;
        const int flips = 1 + round % 4;
        for (int i = 0; i < flips; ++i) {
            wire[rng() % wire.size()] = static_cast<std::uint8_t>(byte(rng));
        }
        wire[0] = 0x12;
        wire[1] = 0x34;
        const ParsedAnswer answer = parse(wire);
        if (answer.parsed) {
            ++parsed;
            EXPECT_EQ(answer.error, "");
            EXPECT_LE(answer.cname_chain.size(), 64u);
        } else {
            EXPECT_NE(answer.error, "");
        }
    }
    for (int round = 0; round < 2000; ++round) {
        Bytes wire(static_cast<std::size_t>(rng() % 300));
        for (auto& b : wire) {
            b = static_cast<std::uint8_t>(byte(rng));
        }
        if (wire.size() >= 2) {
            wire[0] = 0x12;
            wire[1] = 0x34;
        }
        const ParsedAnswer answer = parse(wire);
        EXPECT_FALSE(answer.parsed && answer.has_requested_type);
    }
    EXPECT_GT(parsed, 0); // some mutations only touch TTLs or data and must still parse
}

} // namespace
} // namespace dkimwatch
