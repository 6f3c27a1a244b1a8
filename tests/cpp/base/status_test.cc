#include "jitguard/status.h"

#include "gtest/gtest.h"
#include "jitguard/secret.h"

namespace jitguard {
namespace {

TEST(StatusTest, CarriesReasonDomainAndCode) {
  absl::Status s = MakeError(absl::StatusCode::kUnauthenticated, ErrorDomain::kToken, "expired",
                             "the token expired");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "the token expired");
  EXPECT_EQ(ErrorReason(s), "expired");
  EXPECT_EQ(GetErrorDomain(s), ErrorDomain::kToken);
  EXPECT_EQ(DomainName(GetErrorDomain(s)), "token");
}

TEST(StatusTest, OkAndForeignStatuses) {
  EXPECT_EQ(ErrorReason(absl::OkStatus()), "");
  EXPECT_EQ(ErrorReason(absl::InternalError("boom")), "internal");
  EXPECT_EQ(GetErrorDomain(absl::InternalError("boom")), ErrorDomain::kInternal);
}

TEST(StatusTest, OkCodeIsNeverReturnedForAnError) {
  absl::Status s = MakeError(absl::StatusCode::kOk, ErrorDomain::kMask, "x", "y");
  EXPECT_FALSE(s.ok());
}

TEST(StatusTest, FieldsAreStructuredValuesBesideTheReason) {
  absl::Status s = MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kPolicy,
                             "invalid_policy", "rules[0].models: line 3, column 5: expected list");
  EXPECT_TRUE(ErrorFields(s).empty());
  SetErrorField(&s, "location", "rules[0].models");
  SetErrorField(&s, "line", "3");
  SetErrorField(&s, "column", "4");
  SetErrorField(&s, "column", "5");  // replaces
  using Fields = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ErrorFields(s), (Fields{{"column", "5"}, {"line", "3"}, {"location", "rules[0].models"}}));
  EXPECT_EQ(ErrorField(s, "location"), "rules[0].models");
  EXPECT_EQ(ErrorField(s, "missing"), "");
  EXPECT_EQ(ErrorReason(s), "invalid_policy");  // the reason and domain are not fields
  EXPECT_EQ(GetErrorDomain(s), ErrorDomain::kPolicy);
  absl::Status ok;
  SetErrorField(&ok, "location", "x");
  EXPECT_TRUE(ok.ok());
  EXPECT_TRUE(ErrorFields(ok).empty());
}

TEST(SecretBytesTest, CopiesAndMovesKeepTheValueAndEmptyTheSource) {
  SecretBytes a("k3y-material");
  SecretBytes b = a;
  EXPECT_EQ(b.Reveal(), "k3y-material");
  SecretBytes c = std::move(a);
  EXPECT_EQ(c.Reveal(), "k3y-material");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from secrets are wiped
  b = std::move(c);
  EXPECT_EQ(b.Reveal(), "k3y-material");
  EXPECT_TRUE(c.empty());  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace jitguard

namespace jitguard {
namespace {

TEST(StatusTest, DomainNamesRoundTrip) {
  for (ErrorDomain d : {ErrorDomain::kInternal, ErrorDomain::kConfig, ErrorDomain::kMask,
                        ErrorDomain::kToken, ErrorDomain::kPolicy, ErrorDomain::kGrant,
                        ErrorDomain::kApproval, ErrorDomain::kAudit, ErrorDomain::kAccess}) {
    EXPECT_EQ(DomainFromName(DomainName(d)), d);
  }
  EXPECT_EQ(DomainFromName("no-such-domain"), ErrorDomain::kInternal);
}

}  // namespace
}  // namespace jitguard
