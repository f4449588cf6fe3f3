#include "core/mail_address.hpp"
#include "core/mail_message.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using Addresses = std::vector<std::string>;

Addresses addresses(std::string_view value) {
    const auto list = parse_address_list(value);
    EXPECT_TRUE(list.ok()) << value << ": " << (list.ok() ? "" : list.error());
    return list.ok() ? *list : Addresses{};
}

std::string address_error(std::string_view value) {
    const auto list = parse_address_list(value);
    EXPECT_FALSE(list.ok()) << value;
    return list.ok() ? "(parsed)" : list.error();
}

std::string domain_of(std::string_view message_text) {
    const auto message = parse_mail_message(message_text);
    EXPECT_TRUE(message.ok());
    if (!message.ok()) {
        return "(no message)";
    }
    const auto domain = from_domain(*message);
    return domain.ok() ? *domain : "error: " + domain.error();
}

TEST(AddressList, NameAddrLowercasesTheDomainOnly) {
    EXPECT_EQ(addresses("Mary <Mary@Example.COM>"), Addresses{"Mary@example.com"});
}

TEST(AddressList, BareAddrSpecWithComment) {
    EXPECT_EQ(addresses("mary@example.com (Mary)"), Addresses{"mary@example.com"});
    EXPECT_EQ(addresses("(before) mary(in)@(the)example.com (after (nested))"),
              Addresses{"mary@example.com"});
}

TEST(AddressList, QuotedDisplayNameWithComma) {
    EXPECT_EQ(addresses("\"Smith, Mary\" <mary@example.com>"), Addresses{"mary@example.com"});
    EXPECT_EQ(addresses("\"Smith, \\\"Mary\\\" <x>\" <mary@example.com>, bob@example.org"),
              (Addresses{"mary@example.com", "bob@example.org"}));
}

TEST(AddressList, DisplayNameOfSeveralWordsAndDots) {
    EXPECT_EQ(addresses("Mary J. Smith <mary@example.com>"), Addresses{"mary@example.com"});
    EXPECT_EQ(addresses("<mary@example.com>"), Addresses{"mary@example.com"});
}

TEST(AddressList, EmptyGroup) {
    EXPECT_EQ(addresses("undisclosed:;"), Addresses{});
    EXPECT_EQ(addresses("undisclosed-recipients: ;"), Addresses{});
}

TEST(AddressList, GroupWithMembers) {
    EXPECT_EQ(addresses("team: a@x.org, b@y.org;"), (Addresses{"a@x.org", "b@y.org"}));
    EXPECT_EQ(addresses("team: A <a@X.org>,, b@y.org; , c@z.org"),
              (Addresses{"a@x.org", "b@y.org", "c@z.org"}));
}

TEST(AddressList, ObsoleteRouteIsDropped) {
    EXPECT_EQ(addresses("<@relay:mary@example.com>"), Addresses{"mary@example.com"});
    EXPECT_EQ(addresses("Mary <@a.example,@b.example:mary@example.com>"),
              Addresses{"mary@example.com"});
}

TEST(AddressList, DomainLiteralIsReturnedAsWritten) {
    EXPECT_EQ(addresses("mary@[192.0.2.1]"), Addresses{"mary@[192.0.2.1]"});
    EXPECT_EQ(addresses("<mary@[IPv6:2001:DB8::1]>"), Addresses{"mary@[IPv6:2001:DB8::1]"});
}

TEST(AddressList, IdnaALabelsAsWrittenLowercased) {
    EXPECT_EQ(addresses("m@XN--BCHER-KVA.example"), Addresses{"m@xn--bcher-kva.example"});
    // UTF-8 (RFC 6532) bytes are kept; only ASCII letters are lowercased.
    EXPECT_EQ(addresses("m@B\xc3\xbc"
                        "cher.Example"),
              Addresses{"m@b\xc3\xbc"
                        "cher.example"});
}

TEST(AddressList, TrailingDotRemoved) {
    EXPECT_EQ(addresses("mary@example.com."), Addresses{"mary@example.com"});
}

TEST(AddressList, LocalPartAsWritten) {
    EXPECT_EQ(addresses("\"john doe\"@example.com"), Addresses{"\"john doe\"@example.com"});
    EXPECT_EQ(addresses("John.Doe+tag@example.com"), Addresses{"John.Doe+tag@example.com"});
    // Obsolete local part with whitespace around the dots.
    EXPECT_EQ(addresses("john . doe @ example . com"), Addresses{"john.doe@example.com"});
}

TEST(AddressList, SeveralAddressesInOrder) {
    EXPECT_EQ(addresses("a@x.org, B <b@Y.org>,c@z.org"),
              (Addresses{"a@x.org", "b@y.org", "c@z.org"}));
}

TEST(AddressList, FoldingWhitespaceIsIgnored) {
    EXPECT_EQ(addresses("Mary\r\n <mary@example.com>"), Addresses{"mary@example.com"});
}

TEST(AddressList, Errors) {
    EXPECT_EQ(address_error(""), "no address");
    EXPECT_EQ(address_error("  (only a comment) "), "no address");
    EXPECT_EQ(address_error(" , ,"), "no address");
    EXPECT_EQ(address_error("Mary <mary@example.com"), "unbalanced <");
    EXPECT_EQ(address_error("mary@example.com>"), "unexpected \">\" after an address");
    EXPECT_EQ(address_error("\"Mary <mary@example.com>"), "unterminated quoted string");
    EXPECT_EQ(address_error("mary@example.com (Mary"), "unterminated comment");
    EXPECT_EQ(address_error("mary@example.com Mary)"), "unbalanced )");
    EXPECT_EQ(address_error("mary"), "address without a domain: \"mary\"");
    EXPECT_EQ(address_error("Mary <mary>"), "address without a domain: \"mary\"");
    EXPECT_EQ(address_error("mary@"), "\"mary@\" without a domain");
    EXPECT_EQ(address_error("mary@example..com"),
              "\"mary@\" with an invalid domain: \"example..com\"");
    EXPECT_EQ(address_error("mary@.example.com"),
              "\"mary@\" with an invalid domain: \".example.com\"");
    EXPECT_EQ(address_error("mary@[192.0.2.1"), "unterminated domain literal");
    EXPECT_EQ(address_error("<>"), "an empty <>");
    EXPECT_EQ(address_error("team: a@x.org"), "a group without its closing ';'");
    EXPECT_EQ(address_error(": a@x.org;"), "a group without a name");
    EXPECT_EQ(address_error("Mary <;>"), "unexpected \";\" where an address starts");
    EXPECT_EQ(address_error("Mary Smith mary@example.com"),
              "words without <> around the address: \"Mary Smith\"");
    EXPECT_EQ(address_error("<@relay mary@example.com>"), "a route without its ':'");
    EXPECT_EQ(address_error("mary@example.com\x01"), "a byte no address may hold (0x01)");
    EXPECT_EQ(address_error("a@x.org b@y.org"), "unexpected \"b\" after an address");
}

TEST(FromDomain, OneFromAddress) {
    EXPECT_EQ(domain_of("From: Mary <mary@Mail.Example.COM.>\r\nTo: x@y.org\r\n\r\n"),
              "mail.example.com");
    EXPECT_EQ(domain_of("from: \"Smith, Mary\" <mary@example.com>\n\n"), "example.com");
    EXPECT_EQ(domain_of("From: Mary\n  <mary@example.com>\n\n"), "example.com");
    EXPECT_EQ(domain_of("From: \"a@evil.example\"@example.com\n\n"), "example.com");
    EXPECT_EQ(domain_of("From: x@[192.0.2.1]\n\n"), "[192.0.2.1]");
}

TEST(FromDomain, Errors) {
    EXPECT_EQ(domain_of("To: x@y.org\n\n"), "error: no From: header field");
    EXPECT_EQ(domain_of("To: x@y.org\nX: 1\nY: 2\nFrom: a@b.org\nZ: 3\nA: 4\nB: 5\nC: 6\n"
                        "From: c@d.org\n\n"),
              "error: 2 From: header fields (line 4 and line 9)");
    EXPECT_EQ(domain_of("From: a@b.org\nFrom: c@d.org\nFROM: e@f.org\n\n"),
              "error: 3 From: header fields (line 1, line 2 and line 3)");
    EXPECT_EQ(domain_of("From: a@b.org, c@d.org\n\n"), "error: From: holds 2 addresses");
    EXPECT_EQ(domain_of("From: undisclosed:;\n\n"), "error: From: no address");
    EXPECT_EQ(domain_of("From:\n\n"), "error: From: no address");
    EXPECT_EQ(domain_of("From: mary\n\n"), "error: From: address without a domain: \"mary\"");
    EXPECT_EQ(domain_of("From: Mary <mary@example.com\n\n"), "error: From: unbalanced <");
}

} // namespace
} // namespace dkimwatch
