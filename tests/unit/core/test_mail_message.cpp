#include "core/mail_message.hpp"

#include <gtest/gtest.h>
#include <string>

namespace dkimwatch {
namespace {

MailMessage parse_ok(std::string_view bytes) {
    auto message = parse_mail_message(bytes);
    EXPECT_TRUE(message.ok()) << (message.ok() ? "" : message.error());
    return message.ok() ? std::move(message).value() : MailMessage{};
}

std::string parse_error(std::string_view bytes) {
    const auto message = parse_mail_message(bytes);
    EXPECT_FALSE(message.ok());
    return message.ok() ? "(parsed)" : message.error();
}

TEST(MailMessage, SplitsCrlfMessageIntoFieldsAndBody) {
    const auto message = parse_ok("From: Mary <mary@example.com>\r\n"
                                  "To: bob@example.org\r\n"
                                  "Subject: hello\r\n"
                                  "\r\n"
                                  "Hi Bob,\r\n"
                                  "bye\r\n");
    ASSERT_EQ(message.headers.size(), 3u);
    EXPECT_EQ(message.headers[0].name, "From");
    EXPECT_EQ(message.headers[0].raw, "From: Mary <mary@example.com>");
    EXPECT_EQ(message.headers[0].line, 1u);
    EXPECT_EQ(message.headers[1].name, "To");
    EXPECT_EQ(message.headers[1].line, 2u);
    EXPECT_EQ(message.headers[2].raw, "Subject: hello");
    EXPECT_EQ(message.headers[2].value(), "hello");
    EXPECT_EQ(message.headers[2].line, 3u);
    EXPECT_EQ(message.body, "Hi Bob,\r\nbye\r\n");
    EXPECT_EQ(message.line_endings, "crlf");
}

TEST(MailMessage, LfMessageGetsCrlfInFieldsAndBody) {
    const auto message = parse_ok("Subject: a\n"
                                  "  folded\n"
                                  "To: x@example.com\n"
                                  "\n"
                                  "line one\n"
                                  "line two\n");
    ASSERT_EQ(message.headers.size(), 2u);
    EXPECT_EQ(message.headers[0].raw, "Subject: a\r\n  folded");
    EXPECT_EQ(message.headers[0].value(), "a  folded");
    EXPECT_EQ(message.headers[1].line, 3u);
    EXPECT_EQ(message.body, "line one\r\nline two\r\n");
    EXPECT_EQ(message.line_endings, "lf");
}

TEST(MailMessage, MixedLineEndingsAreReportedAndNormalized) {
    const auto message = parse_ok("A: 1\r\nB: 2\n\r\nx\ny\r\nz");
    ASSERT_EQ(message.headers.size(), 2u);
    EXPECT_EQ(message.headers[1].raw, "B: 2");
    EXPECT_EQ(message.body, "x\r\ny\r\nz"); // the last line keeps having no line end
    EXPECT_EQ(message.line_endings, "mixed");
}

TEST(MailMessage, LfOnlyInTheBodyMakesItMixed) {
    EXPECT_EQ(parse_ok("A: 1\r\n\r\nbody\n").line_endings, "mixed");
    EXPECT_EQ(parse_ok("A: 1\n\nbody\r\n").line_endings, "mixed");
}

TEST(MailMessage, FoldedFieldKeepsFoldingAsCrlfAndValueUnfolds) {
    const auto message = parse_ok("DKIM-Signature: v=1; a=rsa-sha256;\r\n"
                                  "\td=example.com; s=sel;\r\n"
                                  "  b=abc\r\n"
                                  "\r\n");
    ASSERT_EQ(message.headers.size(), 1u);
    EXPECT_EQ(message.headers[0].raw,
              "DKIM-Signature: v=1; a=rsa-sha256;\r\n\td=example.com; s=sel;\r\n  b=abc");
    EXPECT_EQ(message.headers[0].value(), "v=1; a=rsa-sha256;\td=example.com; s=sel;  b=abc");
    EXPECT_EQ(message.body, "");
}

TEST(MailMessage, ValueTrimsSpacesAndTabsOnly) {
    const auto message = parse_ok("X:  \t value with  inner  \t \r\nY:\r\nZ:novalue\r\n\r\n");
    ASSERT_EQ(message.headers.size(), 3u);
    EXPECT_EQ(message.headers[0].value(), "value with  inner");
    EXPECT_EQ(message.headers[1].value(), "");
    EXPECT_EQ(message.headers[2].value(), "novalue");
}

TEST(MailMessage, ValueOfColonInValueKeepsEverythingAfterTheFirstColon) {
    const auto message =
        parse_ok("Received: from a (b [1.2.3.4]) by c; Thu, 3 Dec 2026 10:00:00\n");
    ASSERT_EQ(message.headers.size(), 1u);
    EXPECT_EQ(message.headers[0].value(), "from a (b [1.2.3.4]) by c; Thu, 3 Dec 2026 10:00:00");
}

TEST(MailMessage, MboxEnvelopeLineIsSkippedAndCountedAsLineOne) {
    const auto message =
        parse_ok("From mary@example.com Thu Dec  3 10:00:00 2026\nFrom: mary@example.com\n\nx\n");
    ASSERT_EQ(message.headers.size(), 1u);
    EXPECT_EQ(message.headers[0].name, "From");
    EXPECT_EQ(message.headers[0].line, 2u);
    EXPECT_EQ(message.body, "x\r\n");
}

TEST(MailMessage, OnlyExactFromSpaceAtByteZeroIsAnEnvelope) {
    // "From:" is a header field; " From " elsewhere or "from " is not an envelope.
    EXPECT_EQ(parse_ok("From: a@example.com\n").headers.size(), 1u);
    EXPECT_EQ(parse_error("from x y\nA: b\n"),
              "line 1: a header field without a colon: \"from x y\"");
    // The envelope line alone leaves a message without fields.
    const auto envelope_only = parse_ok("From x");
    EXPECT_TRUE(envelope_only.headers.empty());
}

TEST(MailMessage, ObsoleteSpaceBeforeColonIsAcceptedWithTheNameTrimmed) {
    const auto message = parse_ok("Subject : x\r\nTo\t: y@example.com\r\n\r\n");
    ASSERT_EQ(message.headers.size(), 2u);
    EXPECT_EQ(message.headers[0].name, "Subject");
    EXPECT_EQ(message.headers[0].raw, "Subject : x");
    EXPECT_EQ(message.headers[0].value(), "x");
    EXPECT_EQ(message.headers[1].name, "To");
}

TEST(MailMessage, EightBitBodyAndNulInBodyAreKept) {
    const std::string input = std::string("A: 1\n\nbin\xff\xfe") + '\0' + "tail\n";
    const auto message = parse_ok(input);
    EXPECT_EQ(message.body, std::string("bin\xff\xfe") + '\0' + "tail\r\n");
}

TEST(MailMessage, NulInHeaderIsRefusedWithItsLine) {
    const std::string input = std::string("A: 1\r\nSub") + '\0' + "ject: x\r\n\r\n";
    EXPECT_EQ(parse_error(input), "line 2: a NUL byte in the header");
    const std::string folded = std::string("A: 1\r\n  x") + '\0' + "\r\n";
    EXPECT_EQ(parse_error(folded), "line 2: a NUL byte in the header");
    EXPECT_EQ(parse_error(std::string(1, '\0')), "line 1: a NUL byte in the header");
}

TEST(MailMessage, HeaderWithoutColonIsRefusedWithItsLineAndText) {
    EXPECT_EQ(parse_error("From: a@example.com\r\nTo: b@example.com\r\nSubject hello\r\n\r\n"),
              "line 3: a header field without a colon: \"Subject hello\"");
}

TEST(MailMessage, TextInErrorsIsCutAt60BytesAndEscaped) {
    const std::string long_line(100, 'x');
    EXPECT_EQ(parse_error(long_line + "\n"),
              "line 1: a header field without a colon: \"" + std::string(60, 'x') + "\"");
    EXPECT_EQ(parse_error("say \"hi\" \\ \xe9\x01\n"),
              "line 1: a header field without a colon: \"say \\\"hi\\\" \\\\ \\xe9\\x01\"");
}

TEST(MailMessage, EmptyNameIsRefused) {
    EXPECT_EQ(parse_error("A: 1\n: value\n\n"), "line 2: a header field with an empty name");
}

TEST(MailMessage, NameWithABytesOutsideFtextIsRefused) {
    EXPECT_EQ(parse_error("Foo Bar: x\n"),
              "line 1: a header field name with a byte RFC 5322 does not allow (0x20): \"Foo Bar: "
              "x\"");
    EXPECT_EQ(parse_error("A: 1\nN\xc3\xa4me: x\n"),
              "line 2: a header field name with a byte RFC 5322 does not allow (0xc3): "
              "\"N\\xc3\\xa4me: x\"");
    EXPECT_EQ(parse_error("A\x7f: x\n"),
              "line 1: a header field name with a byte RFC 5322 does not allow (0x7f): "
              "\"A\\x7f: x\"");
}

TEST(MailMessage, FoldedFirstLineIsRefused) {
    EXPECT_EQ(parse_error(" Subject: x\n\n"),
              "line 1: the message starts with a folded (indented) line");
    EXPECT_EQ(parse_error("From envelope\n\tA: b\n"),
              "line 2: the message starts with a folded (indented) line");
}

TEST(MailMessage, EmptyInputIsRefused) {
    EXPECT_EQ(parse_error(""), "the input is empty");
}

TEST(MailMessage, OneByteOverTheLimitIsRefusedAndTheLimitIsParsed) {
    // One string, built once: 64 MiB + 1 byte of a well-formed message is refused before any
    // parsing; one byte less parses.
    std::string big = "Subject: big\r\n\r\n";
    big.resize(k_max_message_bytes + 1, 'b');
    EXPECT_EQ(parse_error(big), "the message is 67108865 bytes; the limit is 67108864 (64 MiB)");
    big[0] = ' '; // would be "the message starts with a folded line": the size is checked first
    EXPECT_EQ(parse_error(big), "the message is 67108865 bytes; the limit is 67108864 (64 MiB)");
    big[0] = 'S';
    big.pop_back();
    const auto message = parse_ok(big);
    EXPECT_EQ(message.headers.size(), 1u);
    EXPECT_EQ(message.body.size(), k_max_message_bytes - 16);
}

TEST(MailMessage, LargeLfBodyIsConvertedWhole) {
    std::string input = "A: 1\n\n";
    for (int i = 0; i < 100000; ++i) {
        input += "0123456789\n";
    }
    const auto message = parse_ok(input);
    EXPECT_EQ(message.body.size(), 100000u * 12);
    EXPECT_EQ(message.body.substr(0, 24), "0123456789\r\n0123456789\r\n");
    EXPECT_EQ(message.line_endings, "lf");
}

TEST(MailMessage, HundredThousandHeaderLinesParse) {
    std::string input;
    for (int i = 0; i < 100000; ++i) {
        input += "X-Line-" + std::to_string(i) + ": value " + std::to_string(i) + "\r\n";
    }
    input += "\r\nbody\r\n";
    const auto message = parse_ok(input);
    ASSERT_EQ(message.headers.size(), 100000u);
    EXPECT_EQ(message.headers.back().name, "X-Line-99999");
    EXPECT_EQ(message.headers.back().line, 100000u);
    EXPECT_EQ(message.body, "body\r\n");
}

TEST(MailMessage, HundredThousandFoldedLinesOfOneFieldParse) {
    std::string input = "X-Long: start\n";
    for (int i = 0; i < 100000; ++i) {
        input += " more\n";
    }
    input += "To: a@example.com\n";
    const auto message = parse_ok(input);
    ASSERT_EQ(message.headers.size(), 2u);
    EXPECT_EQ(message.headers[0].raw.size(), 13u + 100000u * 7);
    EXPECT_EQ(message.headers[1].line, 100002u);
}

TEST(MailMessage, LoneCrIsDataNotALineEnd) {
    // A CR-only message is one line: one field whose value holds the CRs, no body.
    const auto cr_only = parse_ok("Subject: a\rTo: b@example.com\r\rbody\r");
    ASSERT_EQ(cr_only.headers.size(), 1u);
    EXPECT_EQ(cr_only.headers[0].raw, "Subject: a\rTo: b@example.com\r\rbody\r");
    EXPECT_EQ(cr_only.headers[0].value(), "a\rTo: b@example.com\r\rbody\r");
    EXPECT_EQ(cr_only.body, "");
    EXPECT_EQ(cr_only.line_endings, "crlf");

    // CR before CRLF: the first CR is data.
    const auto cr_crlf = parse_ok("Subject: a\r\r\n b\r\n\r\nx\ry\r\r\n");
    ASSERT_EQ(cr_crlf.headers.size(), 1u);
    EXPECT_EQ(cr_crlf.headers[0].raw, "Subject: a\r\r\n b");
    EXPECT_EQ(cr_crlf.headers[0].value(), "a\r b");
    EXPECT_EQ(cr_crlf.body, "x\ry\r\r\n");

    // A line holding only a CR is not the empty line that ends the header.
    EXPECT_EQ(parse_error("A: 1\r\n\r\r\nbody\r\n"),
              "line 2: a header field without a colon: \"\\x0d\"");
    // A CR alone at the end of the body stays.
    EXPECT_EQ(parse_ok("A: 1\n\nx\r").body, "x\r");
}

TEST(MailMessage, EmptyBody) {
    const auto crlf = parse_ok("A: 1\r\n\r\n");
    EXPECT_EQ(crlf.headers.size(), 1u);
    EXPECT_EQ(crlf.body, "");
    const auto lf = parse_ok("A: 1\n\n");
    EXPECT_EQ(lf.body, "");
}

TEST(MailMessage, BodyOfEmptyLinesIsKept) {
    EXPECT_EQ(parse_ok("A: 1\n\n\n\n").body, "\r\n\r\n");
}

TEST(MailMessage, NoEmptyLineMeansNoBody) {
    const auto message = parse_ok("A: 1\r\nB: 2");
    ASSERT_EQ(message.headers.size(), 2u);
    EXPECT_EQ(message.headers[1].raw, "B: 2");
    EXPECT_EQ(message.body, "");
    const auto ending = parse_ok("A: 1\r\nB: 2\r\n");
    EXPECT_EQ(ending.headers.size(), 2u);
    EXPECT_EQ(ending.body, "");
}

TEST(MailMessage, OnlyALineEndIsAMessageWithoutFields) {
    const auto lf = parse_ok("\n");
    EXPECT_TRUE(lf.headers.empty());
    EXPECT_EQ(lf.body, "");
    EXPECT_EQ(lf.line_endings, "lf");
    const auto crlf = parse_ok("\r\nbody");
    EXPECT_TRUE(crlf.headers.empty());
    EXPECT_EQ(crlf.body, "body");
}

TEST(MailMessage, WhitespaceOnlyLineIsAFoldNotTheHeaderEnd) {
    const auto message = parse_ok("A: 1\r\n \r\nB: 2\r\n\r\nx");
    ASSERT_EQ(message.headers.size(), 2u);
    EXPECT_EQ(message.headers[0].raw, "A: 1\r\n ");
    EXPECT_EQ(message.headers[0].value(), "1");
    EXPECT_EQ(message.body, "x");
}

TEST(MailMessage, HeaderFieldsAreFoundCaseInsensitivelyInOrder) {
    const auto message = parse_ok("dkim-signature: one\nFrom: a@example.com\n"
                                  "DKIM-Signature: two\nDKIM-Signatures: no\n\n");
    const auto fields = header_fields(message, "DKIM-Signature");
    ASSERT_EQ(fields.size(), 2u);
    EXPECT_EQ(fields[0]->value(), "one");
    EXPECT_EQ(fields[1]->value(), "two");
    EXPECT_EQ(fields[1]->line, 3u);
    EXPECT_TRUE(header_fields(message, "To").empty());
    EXPECT_EQ(header_fields(message, "FROM").size(), 1u);
}

TEST(MailMessage, ValueOfAFieldWithoutColonIsEmpty) {
    MailHeaderField field;
    field.name = "X";
    field.raw = "no colon here";
    EXPECT_EQ(field.value(), "");
}

} // namespace
} // namespace dkimwatch
