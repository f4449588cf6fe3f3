#include "dns/ldns_answer.hpp"

#include <cctype>
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
    bool aa = false;
    std::vector<std::string> answers;
    std::vector<std::string> authority;
};

Bytes build_response(const ResponseSpec& spec) {
    ldns_pkt* pkt = ldns_pkt_new();
    ldns_pkt_set_id(pkt, spec.id);
    ldns_pkt_set_qr(pkt, spec.qr);
    ldns_pkt_set_tc(pkt, spec.tc);
    ldns_pkt_set_aa(pkt, spec.aa);
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
    return parse_answer(wire, id, name, type);
}

// A query as build_query makes it, with `id` patched in as the resolver does.
Bytes query_for(const std::string& name, RecordType type, std::uint16_t id,
                std::uint16_t edns_buffer_size, bool rd = true, bool dnssec = false) {
    QueryOptions options;
    options.recursion_desired = rd;
    options.dnssec = dnssec;
    options.edns_buffer_size = edns_buffer_size;
    Bytes query = build_query(name, type, options);
    if (query.size() >= 2) {
        query[0] = static_cast<std::uint8_t>(id >> 8);
        query[1] = static_cast<std::uint8_t>(id & 0xff);
    }
    return query;
}

// --- build_query ---------------------------------------------------------------------------

TEST(BuildQuery, ExactWireFormat) {
    const Bytes query = query_for("example.com", RecordType::txt, 0xbeef, 1232);
    const Bytes expected{
        0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,    // header, RD
        7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',  3,    'c',  'o',  'm',  0, // qname
        0x00, 0x10, 0x00, 0x01,                                                    // TXT IN
        0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // OPT 1232, no DO
    };
    EXPECT_EQ(query, expected);
}

TEST(BuildQuery, ParsesBackWithLdns) {
    const Bytes query = query_for("Sel._DomainKey.example.com.", RecordType::cname, 7, 4096);
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
    const Bytes query = query_for("example.com", RecordType::txt, 1, 0);
    ASSERT_GE(query.size(), 11u);
    const Bytes opt(query.end() - 11, query.end());
    EXPECT_EQ(opt, (Bytes{0x00, 0x00, 0x29, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}));
}

TEST(BuildQuery, InvalidNamesGiveNothing) {
    EXPECT_TRUE(query_for("", RecordType::txt, 1, 1232).empty());
    EXPECT_TRUE(query_for(std::string(64, 'a') + ".example.com", RecordType::txt, 1, 1232).empty());
    std::string long_name;
    for (int i = 0; i < 60; ++i) {
        long_name += "abcd.";
    }
    EXPECT_TRUE(query_for(long_name + "com", RecordType::txt, 1, 1232).empty());
}

// --- parse_answer: answers --------------------------------------------------------------

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

// --- parse_answer: questions that are not ours -------------------------------------------

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

// --- parse_answer: hostile bytes ----------------------------------------------------------

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

// --- parse_answer: hostile bytes, exact reasons -------------------------------------------

// The question for k_name (TXT IN) and a header with the given counts, then `rest`.
Bytes raw_message(std::uint16_t ancount, std::uint16_t nscount, std::uint16_t arcount,
                  const Bytes& rest) {
    Bytes wire{0x12,
               0x34,
               0x81,
               0x80,
               0,
               1,
               static_cast<std::uint8_t>(ancount >> 8),
               static_cast<std::uint8_t>(ancount),
               static_cast<std::uint8_t>(nscount >> 8),
               static_cast<std::uint8_t>(nscount),
               static_cast<std::uint8_t>(arcount >> 8),
               static_cast<std::uint8_t>(arcount)};
    const Bytes question = query_for(k_name, RecordType::txt, 0, 512);
    // build_query's question: after the 12-byte header, before the 11-byte OPT record.
    wire.insert(wire.end(), question.begin() + 12, question.end() - 11);
    wire.insert(wire.end(), rest.begin(), rest.end());
    return wire;
}

// A record owned by the question name (pointer to offset 12).
Bytes record(std::uint16_t type, const Bytes& rdata, std::uint16_t rdlength) {
    Bytes rr{0xc0,
             0x0c,
             static_cast<std::uint8_t>(type >> 8),
             static_cast<std::uint8_t>(type),
             0,
             1,
             0,
             0,
             0,
             60,
             static_cast<std::uint8_t>(rdlength >> 8),
             static_cast<std::uint8_t>(rdlength)};
    rr.insert(rr.end(), rdata.begin(), rdata.end());
    return rr;
}
Bytes record(std::uint16_t type, const Bytes& rdata) {
    return record(type, rdata, static_cast<std::uint16_t>(rdata.size()));
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& part : parts) {
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

std::string parse_error(const Bytes& wire) {
    const ParsedAnswer answer = parse(wire);
    EXPECT_FALSE(answer.parsed);
    EXPECT_FALSE(answer.has_requested_type);
    EXPECT_TRUE(answer.txt_records.empty());
    EXPECT_TRUE(answer.cname_chain.empty());
    return answer.error;
}

TEST(ParseAnswer, NameTextIsLdnsPresentationFormForEveryByte) {
    for (int b = 0; b < 256; ++b) {
        const Bytes target{2, static_cast<std::uint8_t>(b), 'X', 3, 'C', 'o', 'm', 0};
        const ParsedAnswer answer = parse(raw_message(1, 0, 0, record(5, target)));
        ASSERT_TRUE(answer.parsed) << b << ": " << answer.error;
        ASSERT_EQ(answer.cname_chain.size(), 1u) << b;
        ldns_rdf* rdf =
            ldns_dname_new_frm_data(static_cast<std::uint16_t>(target.size()), target.data());
        ASSERT_NE(rdf, nullptr);
        char* text = ldns_rdf2str(rdf);
        std::string expected(text);
        std::free(text);
        ldns_rdf_deep_free(rdf);
        expected.pop_back(); // the trailing dot
        for (char& c : expected) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        EXPECT_EQ(answer.cname_chain[0], expected) << b;
    }
}

TEST(ParseResponseHostile, RawBuilderMakesAValidMessage) {
    const ParsedAnswer answer = parse(
        raw_message(2, 0, 0, concat({record(16, {2, 'h', 'i', 0}), record(1, {192, 0, 2, 1})})));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_EQ(answer.txt_records, (std::vector<Strings>{{"hi", ""}}));
}

TEST(ParseResponseHostile, CountsLargerThanThePacket) {
    const Bytes txt = record(16, {1, 'x'});
    EXPECT_EQ(parse_error(raw_message(2, 0, 0, txt)),
              "unparseable message: answer section incomplete");
    EXPECT_EQ(parse_error(raw_message(1, 1, 0, txt)),
              "unparseable message: authority section incomplete");
    EXPECT_EQ(parse_error(raw_message(1, 0, 0xffff, txt)),
              "unparseable message: additional section incomplete");
}

TEST(ParseResponseHostile, TruncatedInsideTheQuestion) {
    Bytes wire = raw_message(0, 0, 0, {});
    wire.resize(wire.size() - 2); // the class is cut off
    EXPECT_EQ(parse_error(wire), "unparseable message: question section incomplete");
}

TEST(ParseResponseHostile, RdlengthPastTheEnd) {
    EXPECT_EQ(parse_error(raw_message(1, 0, 0, record(16, {1, 'x'}, 3))),
              "unparseable message: answer section incomplete");
    EXPECT_EQ(parse_error(raw_message(1, 0, 0, record(1, {192, 0, 2}, 0xffff))),
              "unparseable message: answer section incomplete");
}

TEST(ParseResponseHostile, TxtStringPastTheRdata) {
    // The string claims 2 bytes, the rdata holds 1; an A record follows so that the bytes exist.
    const Bytes wire =
        raw_message(2, 0, 0, concat({record(16, {2, 'x'}), record(1, {192, 0, 2, 1})}));
    EXPECT_EQ(parse_error(wire), "unparseable message: answer section incomplete");
}

TEST(ParseResponseHostile, BadPointers) {
    // Owner pointer to offset 0, past the end, and a CNAME target pointing at itself.
    Bytes to_zero = record(16, {1, 'x'});
    to_zero[1] = 0;
    EXPECT_EQ(parse_error(raw_message(1, 0, 0, to_zero)),
              "unparseable message: Invalid compression pointer");
    Bytes past_end = record(16, {1, 'x'});
    past_end[0] = 0xc1;
    EXPECT_EQ(parse_error(raw_message(1, 0, 0, past_end)),
              "unparseable message: Invalid compression pointer");
    Bytes wire = raw_message(1, 0, 0, record(5, {0xc0, 0x00}));
    const std::size_t target = wire.size() - 2;
    wire[target + 1] = static_cast<std::uint8_t>(target);
    EXPECT_EQ(parse_error(wire), "unparseable message: Invalid compression pointer");
}

TEST(ParseResponseHostile, LongLabelsAndNames) {
    Bytes label64(1, 64);
    label64.insert(label64.end(), 64, 'a');
    label64.push_back(0);
    EXPECT_EQ(parse_error(raw_message(1, 0, 0, record(5, label64))),
              "unparseable message: Label length overflow");
    // A CNAME target "aaa...(63)" + pointer back to its own start: grows past 255 bytes.
    Bytes wire = raw_message(1, 0, 0, record(5, {}, 66));
    const std::size_t start = wire.size();
    wire.push_back(63);
    wire.insert(wire.end(), 63, 'a');
    wire.push_back(0xc0);
    wire.push_back(static_cast<std::uint8_t>(start));
    EXPECT_EQ(parse_error(wire), "unparseable message: Domainname length overflow");
}

TEST(ParseResponseHostile, CnameRdataWithTrailingBytesYieldsItsNameOnly) {
    // ldns reads the one name the CNAME rdata holds and no further: the byte after it is never
    // taken as part of the target.
    const ParsedAnswer answer = parse(raw_message(1, 0, 0, record(5, {1, 'a', 0, 0xff})));
    if (answer.parsed) {
        EXPECT_EQ(answer.cname_chain, (Strings{"a"}));
        EXPECT_FALSE(answer.has_requested_type);
    } else {
        EXPECT_NE(answer.error, "");
    }
}

TEST(ParseResponseHostile, EmptyCnameRdataIsNoCname) {
    const ParsedAnswer answer =
        parse(raw_message(2, 0, 0, concat({record(5, {}), record(16, {1, 'x'})})));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_TRUE(answer.cname_chain.empty());
    EXPECT_EQ(answer.txt_records, (std::vector<Strings>{{"x"}}));
}

TEST(ParseResponseHostile, NonQueryOpcode) {
    Bytes wire = raw_message(0, 0, 0, {});
    wire[2] |= 0x10; // opcode 2 (STATUS)
    EXPECT_EQ(parse_error(wire), "opcode is not QUERY");
}

TEST(ParseResponse, OddBytesInNamesRoundTripThroughTheNextQuery) {
    // A CNAME target with a dot, a space and a byte 0xff inside labels: its canonical text must
    // name the same wire name when it is asked next.
    ResponseSpec spec;
    spec.answers = {k_name + ". IN CNAME We\\.ird\\032\\255.Example.net."};
    const ParsedAnswer first = parse(build_response(spec));
    ASSERT_TRUE(first.parsed) << first.error;
    ASSERT_EQ(first.cname_chain, (Strings{"we\\.ird\\032\\255.example.net"}));
    ResponseSpec next;
    next.question = "WE\\.ird\\032\\255.example.net. IN TXT";
    next.answers = {"we\\.ird\\032\\255.example.NET. IN TXT \"k\""};
    const ParsedAnswer second = parse(build_response(next), RecordType::txt, first.cname_chain[0]);
    ASSERT_TRUE(second.parsed) << second.error;
    EXPECT_EQ(second.txt_records, (std::vector<Strings>{{"k"}}));
    const Bytes query = query_for(first.cname_chain[0], RecordType::txt, 1, 1232);
    const Bytes expected_name{8,   'w', 'e', '.', 'i', 'r', 'd', ' ', 0xff, 7,   'e',
                              'x', 'a', 'm', 'p', 'l', 'e', 3,   'n', 'e',  't', 0};
    EXPECT_EQ(Bytes(query.begin() + 12, query.begin() + 12 + 22), expected_name);
}

// Realistic answers to mutate: compressed and not, CNAME chains, several TXT records, authority
// and additional sections, NXDOMAIN.
std::vector<std::pair<Bytes, RecordType>> mutation_seeds() {
    std::vector<std::pair<Bytes, RecordType>> seeds;
    {
        ResponseSpec spec;
        spec.answers = {k_name + ". IN CNAME Key1.dkim.amazonses.com.",
                        "key1.dkim.amazonses.com. IN TXT \"v=DKIM1; k=rsa; \" \"p=MIIBIjANBgkq\"",
                        "key1.dkim.amazonses.com. IN TXT \"\""};
        spec.authority = {"dkim.amazonses.com. IN NS ns1.amazonses.com."};
        seeds.emplace_back(build_response(spec), RecordType::txt);
    }
    {
        ResponseSpec spec;
        spec.question = k_name + ". IN CNAME";
        spec.answers = {k_name + ". IN CNAME tok.dkim.amazonses.com.",
                        "tok.dkim.amazonses.com. IN CNAME x.example."};
        seeds.emplace_back(build_response(spec), RecordType::cname);
    }
    {
        ResponseSpec spec;
        spec.rcode = LDNS_RCODE_NXDOMAIN;
        spec.answers = {k_name + ". IN CNAME a.example.net.", "a.example.net. IN CNAME b.ex."};
        spec.authority = {"example.net. IN SOA ns.example.net. host.example.net. 1 2 3 4 5"};
        seeds.emplace_back(build_response(spec), RecordType::txt);
    }
    {
        // Hand-made, with an OPT record in the additional section.
        seeds.emplace_back(raw_message(3, 0, 1,
                                       concat({record(5, {3, 'a', 'b', 'c', 0xc0, 0x0c}),
                                               record(16, {1, 'x'}), record(1, {192, 0, 2, 1}),
                                               Bytes{0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0}})),
                           RecordType::txt);
    }
    return seeds;
}

// 1 to 3 changes after the id: a random byte, a flipped bit, a compression pointer to the
// header, or the message cut short.
void mutate(Bytes& wire, std::mt19937& rng, int changes) {
    for (int i = 0; i < changes && wire.size() > 2; ++i) {
        const std::size_t at = 2 + rng() % (wire.size() - 2);
        switch (rng() % 4) {
        case 0:
            wire[at] = static_cast<std::uint8_t>(rng());
            break;
        case 1:
            wire[at] = static_cast<std::uint8_t>(wire[at] ^ (1u << (rng() % 8)));
            break;
        case 2:
            wire[at] = static_cast<std::uint8_t>(0xc0 | (rng() % 2));
            break;
        default:
            wire.resize(at);
            break;
        }
    }
}

// 100,000 mutated answers: no crash, no read outside the bytes (ASan), a reason for every
// refusal, and nothing unbounded in what is accepted.
TEST(ParseResponse, HundredThousandMutatedAnswersAreSafe) {
    const auto seeds = mutation_seeds();
    std::mt19937 rng(77);
    int parsed = 0;
    for (int round = 0; round < 100000; ++round) {
        const auto& [seed, type] = seeds[static_cast<std::size_t>(round) % seeds.size()];
        Bytes wire = seed;
        mutate(wire, rng, 1 + round % 3);
        const ParsedAnswer answer = parse(wire, type);
        if (answer.parsed) {
            ++parsed;
            ASSERT_EQ(answer.error, "");
            ASSERT_LE(answer.cname_chain.size(), 64u);
            ASSERT_EQ(answer.has_requested_type, type == RecordType::cname
                                                     ? !answer.cname_chain.empty()
                                                     : !answer.txt_records.empty());
        } else {
            ASSERT_NE(answer.error, "");
            ASSERT_TRUE(answer.cname_chain.empty() && answer.txt_records.empty());
        }
    }
    EXPECT_GT(parsed, 10000);
}

// answers_query: the filter every answer passes before it is looked at (RFC 5452 section 9.1).
class AnswersQuery : public ::testing::Test {
protected:
    const Bytes m_query = query_for("sel._domainkey.example.com", RecordType::txt, 0x1234, 1232);
    ResponseSpec m_spec; // answers m_query as is
};

TEST_F(AnswersQuery, ItsOwnAnswerMatchesWhateverTheRcode) {
    EXPECT_TRUE(answers_query(build_response(m_spec), m_query));
    m_spec.rcode = LDNS_RCODE_SERVFAIL;
    EXPECT_TRUE(answers_query(build_response(m_spec), m_query));
    m_spec.tc = true;
    EXPECT_TRUE(answers_query(build_response(m_spec), m_query));
}

TEST_F(AnswersQuery, NameMatchesWithoutRegardToLetterCase) {
    m_spec.question = "SEL._DomainKey.Example.COM. IN TXT";
    EXPECT_TRUE(answers_query(build_response(m_spec), m_query));
}

TEST_F(AnswersQuery, AnotherIdOrNotAResponseDoesNot) {
    m_spec.id = 0x1235;
    EXPECT_FALSE(answers_query(build_response(m_spec), m_query));
    m_spec.id = 0x1234;
    m_spec.qr = false;
    EXPECT_FALSE(answers_query(build_response(m_spec), m_query));
}

TEST_F(AnswersQuery, AnotherQuestionDoesNot) {
    for (const char* question :
         {"sel._domainkey.example.org. IN TXT", "sel._domainkey.example.co. IN TXT",
          "sel._domainkey.example.com.x. IN TXT", "xsel._domainkey.example.com. IN TXT",
          "sel._domainkey.example.com. IN CNAME", "sel._domainkey.example.com. CH TXT"}) {
        m_spec.question = question;
        EXPECT_FALSE(answers_query(build_response(m_spec), m_query)) << question;
    }
}

TEST_F(AnswersQuery, NoQuestionOrSeveralDoNot) {
    m_spec.rcode = LDNS_RCODE_SERVFAIL;
    Bytes answer = build_response(m_spec);
    answer[5] = 0; // QDCOUNT 0, the question's bytes left in place
    EXPECT_FALSE(answers_query(answer, m_query));
    answer.resize(12);
    EXPECT_FALSE(answers_query(answer, m_query));
    answer = build_response(m_spec);
    answer[5] = 2;
    EXPECT_FALSE(answers_query(answer, m_query));
}

TEST_F(AnswersQuery, CutMessagesAreRefusedWithoutReadingPastTheirEnd) {
    const Bytes answer = build_response(m_spec);
    const std::size_t question_end = m_query.size() - 11; // before the query's OPT record
    for (std::size_t size = 0; size < question_end; ++size) {
        // A copy of exactly `size` bytes, so that ASan sees any read beyond it.
        const Bytes cut(answer.begin(), answer.begin() + static_cast<std::ptrdiff_t>(size));
        EXPECT_FALSE(answers_query(cut, m_query)) << size;
    }
    const Bytes whole(answer.begin(), answer.begin() + static_cast<std::ptrdiff_t>(question_end));
    EXPECT_TRUE(answers_query(whole, m_query));
}

TEST_F(AnswersQuery, CompressedQuestionNameDoesNot) {
    // A pointer where the name should be (to the header: never valid as a first name).
    Bytes answer = build_response(m_spec);
    Bytes forged(answer.begin(), answer.begin() + 12);
    forged.insert(forged.end(), {0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01});
    EXPECT_FALSE(answers_query(forged, m_query));
}

// --- the fields of directed and infrastructure lookups ---------------------------------------

TEST(BuildQuery, DirectedAndDnssecFlags) {
    const Bytes query = query_for("example.com", RecordType::soa, 9, 1232, false, true);
    ldns_pkt* pkt = nullptr;
    ASSERT_EQ(ldns_wire2pkt(&pkt, query.data(), query.size()), LDNS_STATUS_OK);
    EXPECT_FALSE(ldns_pkt_rd(pkt));
    EXPECT_TRUE(ldns_pkt_cd(pkt));
    EXPECT_TRUE(ldns_pkt_edns_do(pkt));
    EXPECT_EQ(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)), LDNS_RR_TYPE_SOA);
    ldns_pkt_free(pkt);
    const Bytes plain = query_for("example.com", RecordType::soa, 9, 1232);
    ASSERT_GE(plain.size(), 4u);
    EXPECT_EQ(plain[2] & 0x01, 0x01); // RD
    EXPECT_EQ(plain[3] & 0x10, 0x00); // no CD
}

TEST(ParseAnswer, NsTargetsAreCanonicalAndTtlIsTheSmallest) {
    ResponseSpec spec;
    spec.question = "example.com. IN NS";
    spec.aa = true;
    spec.answers = {"example.com. 3600 IN NS NS1.Example.NET.",
                    "example.com. 300 IN NS ns2.example.net.",
                    "other.example. 10 IN NS ns3.example.net."};
    const ParsedAnswer answer = parse(build_response(spec), RecordType::ns, "example.com");
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_TRUE(answer.authoritative);
    EXPECT_TRUE(answer.has_requested_type);
    EXPECT_EQ(answer.values, (Strings{"ns1.example.net", "ns2.example.net"}));
    EXPECT_EQ(answer.ttl, 300u);
    EXPECT_TRUE(answer.txt_records.empty());
}

TEST(ParseAnswer, AddressesAsNumericText) {
    ResponseSpec spec;
    spec.question = "ns1.example.net. IN A";
    spec.answers = {"ns1.example.net. 60 IN A 192.0.2.1", "ns1.example.net. 60 IN A 192.0.2.2"};
    EXPECT_EQ(parse(build_response(spec), RecordType::a, "ns1.example.net").values,
              (Strings{"192.0.2.1", "192.0.2.2"}));
    spec.question = "ns1.example.net. IN AAAA";
    spec.answers = {"ns1.example.net. 60 IN AAAA 2001:DB8:0:0:0:0:0:53"};
    EXPECT_EQ(parse(build_response(spec), RecordType::aaaa, "ns1.example.net").values,
              (Strings{"2001:db8::53"}));
}

TEST(ParseAnswer, SoaFromTheAnswerSection) {
    ResponseSpec spec;
    spec.question = "Example.com. IN SOA";
    spec.aa = true;
    spec.answers = {"example.COM. 900 IN SOA ns1.example.net. admin.example.com. "
                    "2026120301 7200 3600 1209600 300"};
    spec.authority = {"other.example. 900 IN SOA a. b. 7 1 1 1 1"};
    const ParsedAnswer answer = parse(build_response(spec), RecordType::soa, "example.com");
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_TRUE(answer.has_requested_type);
    EXPECT_EQ(answer.soa_owner, "example.com");
    EXPECT_EQ(answer.soa_serial, 2026120301u);
    EXPECT_EQ(answer.ttl, 900u);
}

TEST(ParseAnswer, NegativeAnswerTakesTheAuthoritySoaAndRfc2308Ttl) {
    ResponseSpec spec;
    spec.aa = true;
    spec.rcode = LDNS_RCODE_NXDOMAIN;
    spec.authority = {"example.com. 3600 IN SOA ns1.example.net. admin.example.com. "
                      "42 7200 3600 1209600 60"};
    ParsedAnswer answer = parse(build_response(spec));
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_EQ(answer.rcode, 3);
    EXPECT_FALSE(answer.has_requested_type);
    EXPECT_EQ(answer.soa_owner, "example.com");
    EXPECT_EQ(answer.soa_serial, 42u);
    EXPECT_EQ(answer.ttl, 60u); // min(3600, 60)
    spec.authority = {"example.com. 30 IN SOA ns1.example.net. admin.example.com. "
                      "42 7200 3600 1209600 60"};
    EXPECT_EQ(parse(build_response(spec)).ttl, 30u);
    spec.authority.clear();
    answer = parse(build_response(spec));
    EXPECT_EQ(answer.ttl, 0u);
    EXPECT_EQ(answer.soa_owner, "");
    EXPECT_FALSE(answer.soa_serial.has_value());
}

TEST(ParseAnswer, ReferralAnswersAnNsQuestionFromTheAuthoritySection) {
    ResponseSpec spec;
    spec.question = "example.com. IN NS";
    spec.authority = {"example.com. 172800 IN NS a.gtld.example.", "example.com. 172800 IN NS "
                                                                   "B.gtld.example."};
    ParsedAnswer answer = parse(build_response(spec), RecordType::ns, "example.com");
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_FALSE(answer.authoritative);
    EXPECT_TRUE(answer.has_requested_type);
    EXPECT_EQ(answer.values, (Strings{"a.gtld.example", "b.gtld.example"}));
    EXPECT_EQ(answer.ttl, 172800u);
    // NS records of another owner (a referral for the parent) are not the name's.
    spec.authority = {"com. 172800 IN NS a.gtld.example."};
    answer = parse(build_response(spec), RecordType::ns, "example.com");
    EXPECT_FALSE(answer.has_requested_type);
    EXPECT_TRUE(answer.values.empty());
}

TEST(ParseAnswer, WithoutFollowingCnamesOnlyTheCnameAtTheNameCounts) {
    ResponseSpec spec;
    spec.answers = {k_name + ". 60 IN CNAME b.example.net.",
                    "b.example.net. 60 IN CNAME c.example.", "c.example. 60 IN TXT \"deep\""};
    ParsedAnswer answer =
        parse_answer(build_response(spec), 0x1234, k_name, RecordType::txt, false);
    ASSERT_TRUE(answer.parsed) << answer.error;
    EXPECT_EQ(answer.cname_chain, (Strings{"b.example.net"}));
    EXPECT_FALSE(answer.has_requested_type);
    EXPECT_TRUE(answer.txt_records.empty());
    EXPECT_EQ(answer.chain_ttl, 60u);
    EXPECT_EQ(answer.ttl, 0u); // no data and no SOA: unknown
    // The same response followed fully, as for a query through the resolvers.
    answer = parse(build_response(spec));
    EXPECT_EQ(answer.cname_chain, (Strings{"b.example.net", "c.example"}));
    EXPECT_EQ(answer.txt_records, (std::vector<Strings>{{"deep"}}));
    // Data for the target in the same response is taken.
    spec.answers = {k_name + ". 60 IN CNAME b.example.net.", "b.example.net. 20 IN TXT \"b\""};
    answer = parse_answer(build_response(spec), 0x1234, k_name, RecordType::txt, false);
    EXPECT_EQ(answer.cname_chain, (Strings{"b.example.net"}));
    EXPECT_EQ(answer.txt_records, (std::vector<Strings>{{"b"}}));
    EXPECT_EQ(answer.ttl, 20u);
}

} // namespace
} // namespace dkimwatch
