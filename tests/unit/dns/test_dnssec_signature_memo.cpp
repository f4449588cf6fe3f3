#include "dns/dnssec_signature_memo.hpp"

#include <gtest/gtest.h>
#include <string>

namespace dkimwatch {
namespace {

ldns_rr* parse(const std::string& line) {
    ldns_rr* rr = nullptr;
    EXPECT_EQ(ldns_rr_new_frm_str(&rr, line.c_str(), 3600, nullptr, nullptr), LDNS_STATUS_OK);
    return rr;
}

// One key, one signed TXT RRset, and a tampered copy of the RRset.
class SignatureMemoTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_signing = ldns_key_list_new();
        ldns_key* key = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
        ldns_key_set_pubkey_owner(key, ldns_dname_new_frm_str("example.test."));
        ldns_key_set_flags(key, 257);
        ldns_key_set_inception(key, 1000);
        ldns_key_set_expiration(key, 2000); // long expired: the memo ignores time
        ldns_rr* dnskey = ldns_key2rr(key);
        ldns_key_set_keytag(key, ldns_calc_keytag(dnskey));
        ldns_key_list_push_key(m_signing, key);
        m_keys = ldns_rr_list_new();
        ldns_rr_list_push_rr(m_keys, dnskey);
        m_rrset = ldns_rr_list_new();
        ldns_rr_list_push_rr(m_rrset, parse("a.example.test. 3600 IN TXT \"one\""));
        m_tampered = ldns_rr_list_new();
        ldns_rr_list_push_rr(m_tampered, parse("a.example.test. 3600 IN TXT \"two\""));
        m_rrsigs = ldns_sign_public(m_rrset, m_signing);
        ASSERT_EQ(ldns_rr_list_rr_count(m_rrsigs), 1u);
    }
    void TearDown() override {
        ldns_rr_list_deep_free(m_rrsigs);
        ldns_rr_list_deep_free(m_tampered);
        ldns_rr_list_deep_free(m_rrset);
        ldns_rr_list_deep_free(m_keys);
        ldns_key_list_free(m_signing);
    }

    ldns_key_list* m_signing = nullptr;
    ldns_rr_list* m_keys = nullptr;
    ldns_rr_list* m_rrset = nullptr;
    ldns_rr_list* m_tampered = nullptr;
    ldns_rr_list* m_rrsigs = nullptr;
};

TEST_F(SignatureMemoTest, GivesLdnsOutcomeOncePerDistinctInput) {
    DnssecSignatureMemo memo;
    const ldns_rr* rrsig = ldns_rr_list_rr(m_rrsigs, 0);
    EXPECT_EQ(memo.verify(m_rrset, rrsig, m_keys), LDNS_STATUS_OK);
    EXPECT_EQ(memo.size(), 1u);
    EXPECT_EQ(memo.verify(m_rrset, rrsig, m_keys), LDNS_STATUS_OK);
    EXPECT_EQ(memo.size(), 1u);
    EXPECT_EQ(memo.verify(m_tampered, rrsig, m_keys),
              ldns_verify_rrsig_keylist_notime(m_tampered, rrsig, m_keys, nullptr));
    EXPECT_NE(memo.verify(m_tampered, rrsig, m_keys), LDNS_STATUS_OK);
    EXPECT_EQ(memo.size(), 2u);
    ldns_rr_list* no_keys = ldns_rr_list_new();
    EXPECT_NE(memo.verify(m_rrset, rrsig, no_keys), LDNS_STATUS_OK);
    EXPECT_EQ(memo.size(), 3u);
    ldns_rr_list_free(no_keys);
}

} // namespace
} // namespace dkimwatch
