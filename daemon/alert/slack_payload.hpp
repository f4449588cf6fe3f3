#pragma once
// Slack incoming webhook: Block Kit (a header, mrkdwn sections, a context line) with the summary
// as the `text` fallback that notifications show. Pure.
//
// Slack rejects a section whose text exceeds 3000 characters and a header over 150: every
// section built here stays within k_slack_section_limit bytes (bytes >= characters), record
// fields are shortened with "…", and records or grouped identities that do not fit are counted
// in a final "and N more" line.

#include "alert/alert_message.hpp"

#include <cstddef>

namespace dkimwatch {

inline constexpr std::size_t k_slack_section_limit = 2900; // bytes; Slack's limit is 3000 chars
inline constexpr std::size_t k_slack_header_limit = 150;   // bytes; Slack's limit is 150 chars

// "&", "<" and ">" as Slack wants them in text (&amp; &lt; &gt;).
std::string slack_escape(std::string_view text);

// POST {"text", "blocks"} to sink.url (the secret webhook URL); success status 200.
HttpRequest render_slack_request(const AlertSinkConfig& sink, const AlertMessage& message,
                                 TimePoint now);

} // namespace dkimwatch
