#include "core/server_address.hpp"

#include <gtest/gtest.h>

namespace dkimwatch {
namespace {

ServerAddress parsed(std::string_view text) {
    auto result = parse_server_address(text);
    EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : result.error());
    return result.ok() ? *result : ServerAddress{};
}

std::string parse_error(std::string_view text) {
    auto result = parse_server_address(text);
    EXPECT_FALSE(result.ok()) << text << " parsed as " << (result.ok() ? result->to_string() : "");
    return result.ok() ? std::string() : result.error();
}

const std::string k_forms =
    " (use an IP address with an optional port: 9.9.9.9, 127.0.0.1:5301, ::1 or [::1]:5301; "
    "host names are not accepted)";

TEST(ParseServerAddress, Ipv4WithAndWithoutPort) {
    EXPECT_EQ(parsed("9.9.9.9"), (ServerAddress{"9.9.9.9", 53, false}));
    EXPECT_EQ(parsed("127.0.0.1:5301"), (ServerAddress{"127.0.0.1", 5301, false}));
    EXPECT_EQ(parsed("1.2.3.4:1"), (ServerAddress{"1.2.3.4", 1, false}));
    EXPECT_EQ(parsed("1.2.3.4:65535"), (ServerAddress{"1.2.3.4", 65535, false}));
}

TEST(ParseServerAddress, Ipv6WithAndWithoutBrackets) {
    EXPECT_EQ(parsed("::1"), (ServerAddress{"::1", 53, true}));
    EXPECT_EQ(parsed("[::1]:53"), (ServerAddress{"::1", 53, true}));
    EXPECT_EQ(parsed("[::1]"), (ServerAddress{"::1", 53, true}));
    EXPECT_EQ(parsed("[fe80::1]:5300"), (ServerAddress{"fe80::1", 5300, true}));
    EXPECT_EQ(parsed("2001:DB8:0:0::53"), (ServerAddress{"2001:DB8:0:0::53", 53, true}));
    EXPECT_EQ(parsed("::ffff:1.2.3.4"), (ServerAddress{"::ffff:1.2.3.4", 53, true}));
}

TEST(ParseServerAddress, Ipv6WithoutBracketsIsAllAddress) {
    // Two or more colons without brackets: the whole text is the address, never ip:port.
    EXPECT_EQ(parsed("::1:53"), (ServerAddress{"::1:53", 53, true}));
}

TEST(ParseServerAddress, ToString) {
    EXPECT_EQ(parsed("9.9.9.9").to_string(), "9.9.9.9:53");
    EXPECT_EQ(parsed("[::1]:5301").to_string(), "[::1]:5301");
    EXPECT_EQ(parsed("::1").to_string(), "[::1]:53");
}

TEST(ParseServerAddress, RejectsHostNamesAndBadAddresses) {
    EXPECT_EQ(parse_error(""), "\"\" is not an IP address: the value is empty" + k_forms);
    EXPECT_EQ(parse_error("dns.google"),
              "\"dns.google\" is not an IP address: \"dns.google\" looks like a host name; a "
              "resolver must be given by address" +
                  k_forms);
    EXPECT_EQ(parse_error("localhost:53"),
              "\"localhost:53\" is not an IP address: \"localhost\" looks like a host name; a "
              "resolver must be given by address" +
                  k_forms);
    EXPECT_EQ(parse_error("300.1.1.1:53"),
              "\"300.1.1.1:53\" is not an IP address: \"300.1.1.1\" is not a valid IPv4 address" +
                  k_forms);
    EXPECT_EQ(parse_error("1.2.3"),
              "\"1.2.3\" is not an IP address: \"1.2.3\" is not a valid IPv4 address" + k_forms);
    EXPECT_EQ(parse_error(":53"),
              "\":53\" is not an IP address: the address before ':' is missing" + k_forms);
    EXPECT_EQ(parse_error("1:2:3:4:5:6:7:8:9"),
              "\"1:2:3:4:5:6:7:8:9\" is not an IP address: not a valid IPv6 address (write an "
              "IPv6 address with a port as [::1]:5301)" +
                  k_forms);
    EXPECT_EQ(parse_error("fe80::1%eth0"),
              "\"fe80::1%eth0\" is not an IP address: not a valid IPv6 address (write an IPv6 "
              "address with a port as [::1]:5301)" +
                  k_forms);
    EXPECT_EQ(parse_error("[::1"),
              "\"[::1\" is not an IP address: '[' without a closing ']'" + k_forms);
    EXPECT_EQ(parse_error("[::g]:53"),
              "\"[::g]:53\" is not an IP address: \"::g\" is not a valid IPv6 address" + k_forms);
    EXPECT_EQ(parse_error("[1.2.3.4]:53"),
              "\"[1.2.3.4]:53\" is not an IP address: brackets are only for IPv6 addresses" +
                  k_forms);
}

TEST(ParseServerAddress, RejectsBadPorts) {
    EXPECT_EQ(parse_error("1.2.3.4:0"),
              "\"1.2.3.4:0\" has an invalid port: port 0 is out of range; ports are 1 to 65535" +
                  k_forms);
    EXPECT_EQ(parse_error("1.2.3.4:65536"),
              "\"1.2.3.4:65536\" has an invalid port: port 65536 is out of range; ports are 1 to "
              "65535" +
                  k_forms);
    EXPECT_EQ(parse_error("1.2.3.4:99999999999999999999"),
              "\"1.2.3.4:99999999999999999999\" has an invalid port: port 99999999999999999999 is "
              "out of range; ports are 1 to 65535" +
                  k_forms);
    EXPECT_EQ(parse_error("1.2.3.4:"),
              "\"1.2.3.4:\" has an invalid port: the port after ':' is missing" + k_forms);
    EXPECT_EQ(parse_error("1.2.3.4:-1"),
              "\"1.2.3.4:-1\" has an invalid port: port \"-1\" is not a number" + k_forms);
    EXPECT_EQ(parse_error("1.2.3.4:5x"),
              "\"1.2.3.4:5x\" has an invalid port: port \"5x\" is not a number" + k_forms);
    EXPECT_EQ(parse_error("[::1]:0"),
              "\"[::1]:0\" has an invalid port: port 0 is out of range; ports are 1 to 65535" +
                  k_forms);
    EXPECT_EQ(parse_error("[::1]53"),
              "\"[::1]53\" has an invalid port: expected \":port\" after ']'" + k_forms);
}

} // namespace
} // namespace dkimwatch
