// Binding of approval stores and request_digest. Conversion only; the friendly API is
// python/jitguard/approval.py. Store operations run with the GIL released (Redis round trips).
#include "jitguard/approval.h"

#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "bindings/python/convert.h"
#include "bindings/python/module.h"
#include "jitguard/audit.h"
#include "jitguard/status.h"

namespace jitguard::python {

std::shared_ptr<AuditSink> MakePyAuditSink(py::object write);  // grant.cc

namespace {

py::object ToSeconds(absl::Time t) {
  if (t == absl::InfinitePast()) return py::none();
  return py::float_(absl::ToDoubleSeconds(t - absl::UnixEpoch()));
}

// The ticket as a dict; approval.py turns it into an ApprovalTicket.
py::dict FromTicket(const ApprovalTicket& t) {
  py::dict d;
  d["id"] = t.id;
  d["subject"] = t.subject;
  d["request_digest"] = t.request_digest;
  d["reason"] = t.reason;
  d["approver_groups"] = t.approver_groups;
  d["min_approvals"] = t.min_approvals;
  d["created_at"] = ToSeconds(t.created_at);
  d["expires_at"] = ToSeconds(t.expires_at);
  d["access_window"] = absl::ToDoubleSeconds(t.access_window);
  d["decided_at"] = ToSeconds(t.decided_at);
  d["consumed_at"] = ToSeconds(t.consumed_at);
  d["state"] = std::string(ApprovalStateName(t.state));
  py::list decisions;
  for (const ApprovalDecision& dec : t.decisions) {
    py::dict x;
    x["approver"] = dec.approver;
    x["groups"] = dec.groups;
    x["approve"] = dec.verdict == Verdict::kApprove;
    x["at"] = ToSeconds(dec.at);
    x["comment"] = dec.comment;
    decisions.append(x);
  }
  d["decisions"] = decisions;
  return d;
}

struct PyStore {
  std::shared_ptr<ApprovalStore> store;

  template <typename Fn>
  py::dict Run(Fn fn) const {
    absl::StatusOr<ApprovalTicket> t;
    {
      py::gil_scoped_release nogil;
      t = fn();
    }
    return FromTicket(Unwrap(std::move(t)));
  }
};

}  // namespace

// The pybind class of an ApprovalStore built elsewhere in C++ (the Guard's), for
// jitguard.ApprovalStore.
py::object WrapApprovalStore(std::shared_ptr<ApprovalStore> store) {
  return py::cast(PyStore{std::move(store)});
}

JITGUARD_PY_PART(approval, 45) {
  m.def(
      "request_digest",
      [](const std::string& subject, const std::string& model, const std::string& dataset,
         const std::string& operation, const std::string& prompt) {
        return RequestDigest(subject, model, dataset, operation, prompt);
      },
      py::arg("subject"), py::arg("model"), py::arg("dataset"), py::arg("operation"),
      py::arg("prompt"));

  py::class_<PyStore>(m, "ApprovalStore")
      .def_property_readonly("name", [](const PyStore& s) { return std::string(s.store->Name()); })
      .def(
          "request",
          [](const PyStore& s, const std::string& subject, const std::string& digest,
             const std::string& reason, std::vector<std::string> groups, double ttl,
             int min_approvals, double access_window, std::optional<double> now) {
            ApprovalRequest r;
            r.subject = subject;
            r.request_digest = digest;
            r.reason = reason;
            r.approver_groups = std::move(groups);
            r.ttl = SecondsToDuration(ttl);
            r.min_approvals = min_approvals;
            r.access_window = SecondsToDuration(access_window);
            const absl::Time t = TimeOrNow(now);
            return s.Run([&] { return s.store->Request(r, t); });
          },
          py::arg("subject"), py::arg("request_digest"), py::arg("reason"),
          py::arg("approver_groups"), py::arg("ttl"), py::arg("min_approvals"),
          py::arg("access_window"), py::arg("now"))
      .def(
          "decide",
          [](const PyStore& s, const std::string& id, const std::string& approver,
             std::vector<std::string> groups, bool approve, const std::string& comment,
             std::optional<double> now) {
            ApprovalVote v;
            v.approver = approver;
            v.groups = std::move(groups);
            v.verdict = approve ? Verdict::kApprove : Verdict::kDeny;
            v.comment = comment;
            const absl::Time t = TimeOrNow(now);
            return s.Run([&] { return s.store->Decide(id, v, t); });
          },
          py::arg("id"), py::arg("approver"), py::arg("groups"), py::arg("approve"),
          py::arg("comment"), py::arg("now"))
      .def(
          "get",
          [](const PyStore& s, const std::string& id, std::optional<double> now) {
            const absl::Time t = TimeOrNow(now);
            return s.Run([&] { return s.store->Get(id, t); });
          },
          py::arg("id"), py::arg("now"))
      .def(
          "consume",
          [](const PyStore& s, const std::string& id, const std::string& digest,
             std::optional<double> now) {
            const absl::Time t = TimeOrNow(now);
            return s.Run([&] { return s.store->Consume(id, digest, t); });
          },
          py::arg("id"), py::arg("request_digest"), py::arg("now"));

  m.def(
      "memory_approval_store",
      [](size_t capacity, double retention, py::object audit) {
        MemoryApprovalStoreOptions o;
        o.capacity = capacity;
        o.common.retention = SecondsToDuration(retention);
        o.common.audit = MakePyAuditSink(std::move(audit));
        return PyStore{Unwrap(NewMemoryApprovalStore(o))};
      },
      py::arg("capacity") = 100000, py::arg("retention") = 86400.0, py::arg("audit") = py::none());

  m.def(
      "redis_approval_store",
      [](const std::string& url, double timeout, int max_connections, const std::string& prefix,
         double retention, py::object audit) {
        RedisApprovalStoreOptions o;
        o.url = url;
        o.timeout = SecondsToDuration(timeout);
        o.max_connections = max_connections;
        o.key_prefix = prefix;
        o.common.retention = SecondsToDuration(retention);
        o.common.audit = MakePyAuditSink(std::move(audit));
        return PyStore{Unwrap(NewRedisApprovalStore(o))};
      },
      py::arg("url"), py::arg("timeout") = 0.05, py::arg("max_connections") = 8,
      py::arg("key_prefix") = "jitguard:", py::arg("retention") = 86400.0,
      py::arg("audit") = py::none());
}

}  // namespace jitguard::python
