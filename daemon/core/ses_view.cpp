#include "core/ses_view.hpp"

namespace dkimwatch {

const char* ses_dkim_status_name(SesDkimStatus status) {
    switch (status) {
    case SesDkimStatus::pending:
        return "PENDING";
    case SesDkimStatus::success:
        return "SUCCESS";
    case SesDkimStatus::failed:
        return "FAILED";
    case SesDkimStatus::temporary_failure:
        return "TEMPORARY_FAILURE";
    case SesDkimStatus::not_started:
        return "NOT_STARTED";
    case SesDkimStatus::unknown:
        break;
    }
    return "UNKNOWN";
}

SesDkimStatus parse_ses_dkim_status(std::string_view text) {
    for (auto status : {SesDkimStatus::pending, SesDkimStatus::success, SesDkimStatus::failed,
                        SesDkimStatus::temporary_failure, SesDkimStatus::not_started}) {
        if (text == ses_dkim_status_name(status)) {
            return status;
        }
    }
    return SesDkimStatus::unknown;
}

const char* ses_finding_code_name(SesFindingCode code) {
    switch (code) {
    case SesFindingCode::signing_disabled:
        return "signing_disabled";
    case SesFindingCode::ses_failed:
        return "ses_failed";
    case SesFindingCode::ses_temporary_failure:
        return "ses_temporary_failure";
    case SesFindingCode::ses_dns_disagree:
        return "ses_dns_disagree";
    case SesFindingCode::email_identity_unsigned:
        return "email_identity_unsigned";
    case SesFindingCode::not_in_ses:
        return "not_in_ses";
    case SesFindingCode::tokens_differ:
        return "tokens_differ";
    case SesFindingCode::weak_signing_key:
        return "weak_signing_key";
    }
    return "unknown";
}

const char* ses_event_kind_name(SesEventKind kind) {
    switch (kind) {
    case SesEventKind::ses_status_changed:
        return "ses_status_changed";
    case SesEventKind::signing_disabled:
        return "signing_disabled";
    case SesEventKind::email_identity_unsigned:
        return "email_identity_unsigned";
    case SesEventKind::identity_removed:
        return "identity_removed";
    case SesEventKind::ses_sync_failing:
        return "ses_sync_failing";
    case SesEventKind::ses_sync_recovered:
        return "ses_sync_recovered";
    }
    return "unknown";
}

} // namespace dkimwatch
