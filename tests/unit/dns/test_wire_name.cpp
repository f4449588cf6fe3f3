#include "dns/wire_name.hpp"

#include <cstdlib>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <random>
#include <string>
#include <vector>

namespace dkimwatch {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encoded(std::string_view text) {
    const EncodedName name = encode_wire_name(text);
    return Bytes(name.bytes.begin(), name.bytes.begin() + static_cast<std::ptrdiff_t>(name.size));
}

// What ldns made of the same text (the behaviour encode_wire_name must keep).
Bytes ldns_encoded(const std::string& text) {
    ldns_rdf* rdf = ldns_dname_new_frm_str(text.c_str());
    if (rdf == nullptr) {
        return {};
    }
    Bytes out(ldns_rdf_data(rdf), ldns_rdf_data(rdf) + ldns_rdf_size(rdf));
    ldns_rdf_deep_free(rdf);
    return out;
}

// ldns's text for a wire name, as the resolver used to make it canonical.
std::string ldns_canonical(const Bytes& wire_name) {
    ldns_rdf* rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wire_name.size(), wire_name.data());
    char* text = ldns_rdf2str(rdf);
    std::string out(text);
    std::free(text);
    ldns_rdf_deep_free(rdf);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    if (out.size() > 1 && out.back() == '.') {
        out.pop_back();
    }
    return out;
}

std::string text_at(const Bytes& message, std::size_t offset) {
    std::string out = "unchanged";
    if (!wire_name_text(message, offset, out)) {
        return "<error>";
    }
    return out;
}

WireNameError error_at(const Bytes& message, std::size_t offset) {
    std::size_t end = 12345;
    return skip_wire_name(message, offset, end);
}

// --- encode_wire_name --------------------------------------------------------------------------

TEST(EncodeWireName, LabelsAndRoot) {
    EXPECT_EQ(encoded("Ab.c"), (Bytes{2, 'A', 'b', 1, 'c', 0}));
    EXPECT_EQ(encoded("ab.c."), (Bytes{2, 'a', 'b', 1, 'c', 0}));
    EXPECT_EQ(encoded("."), (Bytes{0}));
    EXPECT_EQ(encoded("x"), (Bytes{1, 'x', 0}));
}

TEST(EncodeWireName, Escapes) {
    EXPECT_EQ(encoded("a\\.b.c"), (Bytes{3, 'a', '.', 'b', 1, 'c', 0}));
    EXPECT_EQ(encoded("\\032\\255\\000.c"), (Bytes{3, 32, 255, 0, 1, 'c', 0}));
    EXPECT_EQ(encoded("a\\\\.c"), (Bytes{2, 'a', '\\', 1, 'c', 0}));
    // An escaped final dot is part of the label: the name is relative and ends there.
    EXPECT_EQ(encoded("a\\."), (Bytes{2, 'a', '.', 0}));
}

TEST(EncodeWireName, InvalidTextGivesNothing) {
    for (const std::string text :
         {"", "..", "a..b", ".a", "a\\", "a\\1", "a\\12", "a\\1x2", "a\\256", "\\999.b"}) {
        EXPECT_EQ(encode_wire_name(text).size, 0u) << text;
    }
    EXPECT_EQ(encode_wire_name(std::string(64, 'a') + ".b").size, 0u);
    EXPECT_EQ(encode_wire_name("b." + std::string(64, 'a')).size, 0u);
    EXPECT_EQ(encode_wire_name(std::string(63, 'a') + ".b").size, 67u);
}

TEST(EncodeWireName, LengthLimitIs255BytesOnTheWire) {
    // 3 labels of 63 and one of 61: 64 * 3 + 62 + 1 = 255 bytes.
    const std::string label63(63, 'a');
    const std::string longest =
        label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
    EXPECT_EQ(encode_wire_name(longest).size, 255u);
    EXPECT_EQ(encode_wire_name(longest + ".").size, 255u);
    EXPECT_EQ(encode_wire_name(longest + "b").size, 0u);
}

TEST(EncodeWireName, StopsAtNulLikeACString) {
    EXPECT_EQ(encoded(std::string("ab\0cd", 5)), (Bytes{2, 'a', 'b', 0}));
}

TEST(EncodeWireName, SameAsLdnsOnRandomText) {
    std::mt19937 rng(7);
    const std::string alphabet = "ab.\\0129Z-_ ";
    for (int round = 0; round < 20000; ++round) {
        std::string text(1 + rng() % 12, 'a');
        for (char& c : text) {
            c = alphabet[rng() % alphabet.size()];
        }
        EXPECT_EQ(encoded(text), ldns_encoded(text)) << '"' << text << '"';
    }
}

// --- reading names in a message -----------------------------------------------------------------

TEST(WireNameText, EscapesLikeLdnsForEveryByte) {
    for (int byte = 0; byte < 256; ++byte) {
        const Bytes name{3, 'A', static_cast<std::uint8_t>(byte), 'z', 1, 'c', 0};
        EXPECT_EQ(text_at(name, 0), ldns_canonical(name)) << "byte " << byte;
    }
    EXPECT_EQ(text_at(Bytes{0}, 0), ".");
    EXPECT_EQ(text_at(Bytes{3, 'a', '.', ';', 1, '(', 1, ')', 0}, 0), "a\\.\\;.\\(.\\)");
}

TEST(WireNameText, FollowsPointersAndLowercases) {
    // offset 1: "Example.COM", 14: "www" + pointer to 1, 20: pointer to 14. (A pointer to
    // offset 0, the header in a real message, is refused as ldns does.)
    const Bytes message{0xff, 7,   'E', 'x', 'a', 'm', 'p', 'l',  'e', 3,    'C',
                        'O',  'M', 0,   3,   'W', 'w', 'W', 0xc0, 1,   0xc0, 14};
    EXPECT_EQ(text_at(message, 1), "example.com");
    EXPECT_EQ(text_at(message, 14), "www.example.com");
    EXPECT_EQ(text_at(message, 20), "www.example.com");
    std::size_t end = 0;
    EXPECT_EQ(skip_wire_name(message, 14, end), WireNameError::none);
    EXPECT_EQ(end, 20u); // past the first pointer
    EXPECT_EQ(skip_wire_name(message, 1, end), WireNameError::none);
    EXPECT_EQ(end, 14u); // past the root label
}

TEST(WireNamesEqual, CaseInsensitiveAcrossPointers) {
    // 1: "Example.COM", 14: "WwW" + pointer to 1, 20: "www.example.com" written out,
    // 37: pointer to 14.
    const Bytes message{0xff, 7,   'E', 'x', 'a', 'm',  'p', 'l', 'e', 3,   'C', 'O',  'M',
                        0,    3,   'W', 'w', 'W', 0xc0, 1,   3,   'w', 'w', 'w', 7,    'e',
                        'x',  'a', 'm', 'p', 'l', 'e',  3,   'c', 'o', 'm', 0,   0xc0, 14};
    EXPECT_TRUE(wire_names_equal(message, 14, 20));
    EXPECT_TRUE(wire_names_equal(message, 20, 37));
    EXPECT_TRUE(wire_names_equal(message, 14, 37));
    EXPECT_FALSE(wire_names_equal(message, 1, 14));
    EXPECT_TRUE(wire_name_equals(message, 37, encoded("WWW.example.com")));
    EXPECT_FALSE(wire_name_equals(message, 37, encoded("www.example")));
    EXPECT_FALSE(wire_name_equals(message, 37, encoded("www.example.com.x")));
    EXPECT_FALSE(wire_name_equals(message, 37, encoded("ww.example.com")));
}

TEST(WireNamesEqual, UnreadableNamesAreNeverEqual) {
    // A pointer loop at 0, and the same bytes reached from two places.
    const Bytes message{0xc0, 0x02, 0xc0, 0x00};
    EXPECT_FALSE(wire_names_equal(message, 0, 0));
    EXPECT_FALSE(wire_names_equal(message, 0, 2));
    EXPECT_FALSE(wire_name_equals(message, 0, encoded(".")));
}

TEST(WireNameErrors, HostileNames) {
    // Runs past the end: empty, a label cut short, a label that ends at the end without a root.
    EXPECT_EQ(error_at(Bytes{}, 0), WireNameError::overflow);
    EXPECT_EQ(error_at(Bytes{3, 'a', 'b'}, 0), WireNameError::label_overflow);
    EXPECT_EQ(error_at(Bytes{2, 'a', 'b'}, 0), WireNameError::label_overflow);
    EXPECT_EQ(error_at(Bytes{1, 'a', 0}, 3), WireNameError::overflow);
    // A pointer cut in half, to offset 0, past the end, to itself, two pointing at each other.
    EXPECT_EQ(error_at(Bytes{1, 'a', 0xc0}, 0), WireNameError::overflow);
    EXPECT_EQ(error_at(Bytes{0, 0xc0, 0x00}, 1), WireNameError::bad_pointer);
    EXPECT_EQ(error_at(Bytes{0, 0xc0, 0x03}, 1), WireNameError::bad_pointer);
    EXPECT_EQ(error_at(Bytes{0, 0xff, 0xff}, 1), WireNameError::bad_pointer);
    EXPECT_EQ(error_at(Bytes{0, 0xc0, 0x01}, 1), WireNameError::bad_pointer);
    EXPECT_EQ(error_at(Bytes{0, 0xc0, 0x03, 0xc0, 0x01}, 1), WireNameError::bad_pointer);
    // Labels over 63 bytes and the extended label types 0x40 and 0x80.
    Bytes long_label(66, 'a');
    long_label[0] = 64;
    long_label.back() = 0;
    EXPECT_EQ(error_at(long_label, 0), WireNameError::label_overflow);
    EXPECT_EQ(error_at(Bytes{0x41, 0}, 0), WireNameError::label_overflow);
    EXPECT_EQ(error_at(Bytes{0x80, 0}, 0), WireNameError::label_overflow);
    // A label followed by a pointer back to itself: the name grows past 255 bytes.
    Bytes growing(1, 0);
    growing.push_back(63);
    growing.insert(growing.end(), 63, 'a');
    growing.push_back(0xc0);
    growing.push_back(0x01);
    EXPECT_EQ(error_at(growing, 1), WireNameError::name_overflow);
    std::string text;
    EXPECT_FALSE(wire_name_text(growing, 1, text));
}

TEST(WireNameErrors, PointerForwardIsAllowedLikeLdns) {
    const Bytes message{0xc0, 0x02, 1, 'a', 0};
    EXPECT_EQ(error_at(message, 0), WireNameError::none);
    EXPECT_EQ(text_at(message, 0), "a");
}

TEST(WireNameErrors, LongestNameIsReadAndOneByteMoreIsNot) {
    const std::string label63(63, 'a');
    const std::string longest =
        label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
    Bytes message = encoded(longest);
    ASSERT_EQ(message.size(), 255u);
    EXPECT_EQ(error_at(message, 0), WireNameError::none);
    EXPECT_EQ(text_at(message, 0), longest);
    message[192] = 62; // the last label one byte longer
    message.insert(message.end() - 1, 'b');
    EXPECT_EQ(error_at(message, 0), WireNameError::name_overflow);
}

TEST(WireNameErrors, RandomBytesNeverReadOutside) {
    std::mt19937 rng(99);
    for (int round = 0; round < 20000; ++round) {
        Bytes message(rng() % 40);
        for (auto& b : message) {
            // Mostly small lengths and pointers, so that names get somewhere.
            const unsigned r = rng() % 8;
            b = static_cast<std::uint8_t>(r < 4 ? rng() % 8 : r < 6 ? 0xc0 : rng() % 256);
        }
        const std::size_t offset = message.empty() ? 0 : rng() % message.size();
        std::size_t end = 0;
        const WireNameError error = skip_wire_name(message, offset, end);
        std::string text;
        EXPECT_EQ(wire_name_text(message, offset, text), error == WireNameError::none);
        if (error == WireNameError::none) {
            EXPECT_LE(end, message.size());
            EXPECT_TRUE(wire_names_equal(message, offset, offset));
        }
    }
}

} // namespace
} // namespace dkimwatch
