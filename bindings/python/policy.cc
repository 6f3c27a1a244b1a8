// Binding of the policy engine: compile, evaluate (GIL released), explain, and the reloadable
// store. Conversion only; the friendly API is python/jitguard/policy.py.
#include "jitguard/policy.h"

#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bindings/python/module.h"

namespace jitguard::python {
namespace {

struct PyPolicy {
  std::shared_ptr<const Policy> policy;
};

struct PyPolicyStore {
  std::unique_ptr<PolicyStore> store;
};

PolicyOptions Options(const std::string& version, bool generated) {
  return PolicyOptions{
      .version = version,
      .positions = generated ? PolicyPositions::kPathOnly : PolicyPositions::kLineColumn};
}

AttributeScalar ToScalar(const py::handle& v, const std::string& name) {
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
  if (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v)) return v.cast<double>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  throw py::type_error("attribute '" + name + "': list elements must be str, int, float or bool");
}

// Request attributes: str, int/float, bool, None, or a list/tuple of scalars.
std::map<std::string, AttributeValue, std::less<>> ToAttributes(const py::dict& attributes) {
  std::map<std::string, AttributeValue, std::less<>> out;
  for (auto [key, value] : attributes) {
    if (!py::isinstance<py::str>(key)) throw py::type_error("attribute names must be str");
    std::string name = key.cast<std::string>();
    AttributeValue converted;
    if (value.is_none()) {
      converted = AttributeNull{};
    } else if (py::isinstance<py::bool_>(value)) {
      converted = value.cast<bool>();
    } else if (py::isinstance<py::int_>(value) || py::isinstance<py::float_>(value)) {
      converted = value.cast<double>();
    } else if (py::isinstance<py::str>(value)) {
      converted = value.cast<std::string>();
    } else if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
      std::vector<AttributeScalar> list;
      for (py::handle item : value) list.push_back(ToScalar(item, name));
      converted = std::move(list);
    } else {
      throw py::type_error("attribute '" + name +
                           "': values must be str, int, float, bool, None or a list of those");
    }
    out.emplace(std::move(name), std::move(converted));
  }
  return out;
}

PolicyRequest ToRequest(std::string subject, std::vector<std::string> groups, std::string model,
                        std::string dataset, std::string operation, std::string prompt,
                        const py::dict& attributes) {
  return PolicyRequest{.subject = std::move(subject),
                       .groups = std::move(groups),
                       .model = std::move(model),
                       .dataset = std::move(dataset),
                       .operation = std::move(operation),
                       .prompt = std::move(prompt),
                       .attributes = ToAttributes(attributes)};
}

py::dict ExplanationToPython(Explanation e) {
  py::list rules;
  for (RuleTrace& r : e.rules) {
    py::list conditions;
    for (ConditionTrace& c : r.conditions) {
      py::dict cd;
      cd["condition"] = c.condition;
      cd["outcome"] = std::string(ConditionOutcomeName(c.outcome));
      cd["detail"] = c.detail;
      conditions.append(cd);
    }
    py::dict rd;
    rd["id"] = r.id;
    rd["effect"] = std::string(RuleEffectName(r.effect));
    rd["matched"] = r.matched;
    rd["conditions"] = conditions;
    rules.append(rd);
  }
  py::dict out;
  out["decision"] = py::cast(std::move(e.decision));
  out["rules"] = rules;
  return out;
}

py::list ProfilesToPython(const Policy& policy) {
  py::list out;
  for (const MaskProfile& p : policy.mask_profiles()) {
    py::dict d;
    d["name"] = p.name;
    d["entities"] = p.entities;
    d["all_entities"] = p.all_entities;
    d["style"] = p.style;
    out.append(d);
  }
  return out;
}

const Policy& Target(const PyPolicy& p) { return *p.policy; }
const PolicyStore& Target(const PyPolicyStore& s) { return *s.store; }

// evaluate(...) on a Policy or on a PolicyStore's current snapshot, with the GIL released.
template <typename Holder>
Decision Evaluate(const Holder& holder, std::string subject, std::vector<std::string> groups,
                  std::string model, std::string dataset, std::string operation, std::string prompt,
                  const py::dict& attributes) {
  PolicyRequest request =
      ToRequest(std::move(subject), std::move(groups), std::move(model), std::move(dataset),
                std::move(operation), std::move(prompt), attributes);
  py::gil_scoped_release release;
  return Target(holder).Evaluate(request);
}

#define JITGUARD_REQUEST_ARGS                                                               \
  py::kw_only(), py::arg("subject") = "", py::arg("groups") = std::vector<std::string>{},   \
                 py::arg("model") = "", py::arg("dataset") = "", py::arg("operation") = "", \
                 py::arg("prompt") = "", py::arg("attributes") = py::dict()

}  // namespace

JITGUARD_PY_PART(policy, 30) {
  py::class_<Decision>(m, "Decision", "The answer of Policy.evaluate for one request.")
      .def_property_readonly("effect",
                             [](const Decision& d) { return std::string(EffectName(d.effect)); })
      .def_readonly("reason", &Decision::reason)
      .def_readonly("rules", &Decision::rules)
      .def_readonly("reasons", &Decision::reasons)
      .def_readonly("grant_ttl", &Decision::grant_ttl)
      .def_readonly("mask_profile", &Decision::mask_profile)
      .def_readonly("approvers", &Decision::approvers)
      .def_readonly("message", &Decision::message)
      .def_property_readonly("permitted",
                             [](const Decision& d) { return d.effect == Effect::kPermit; })
      .def("__repr__", [](const Decision& d) {
        std::string rules;
        for (const std::string& r : d.rules) rules += (rules.empty() ? "'" : ", '") + r + "'";
        return "Decision(effect='" + std::string(EffectName(d.effect)) + "', reason='" + d.reason +
               "', rules=[" + rules + "], grant_ttl=" + std::to_string(d.grant_ttl) +
               ", mask_profile='" + d.mask_profile + "')";
      });

  py::class_<PyPolicy>(m, "_Policy")
      .def_property_readonly("version", [](const PyPolicy& p) { return p.policy->version(); })
      .def_property_readonly("rule_count", [](const PyPolicy& p) { return p.policy->rule_count(); })
      .def_property_readonly("mask_profiles",
                             [](const PyPolicy& p) { return ProfilesToPython(*p.policy); })
      .def("evaluate", &Evaluate<PyPolicy>, JITGUARD_REQUEST_ARGS)
      // Positional twin of evaluate: pybind11's keyword handling costs more than the evaluation.
      .def("_evaluate", &Evaluate<PyPolicy>)
      .def(
          "explain",
          [](const PyPolicy& p, std::string subject, std::vector<std::string> groups,
             std::string model, std::string dataset, std::string operation, std::string prompt,
             const py::dict& attributes) {
            PolicyRequest request =
                ToRequest(std::move(subject), std::move(groups), std::move(model),
                          std::move(dataset), std::move(operation), std::move(prompt), attributes);
            Explanation e;
            {
              py::gil_scoped_release release;
              e = p.policy->Explain(request);
            }
            return ExplanationToPython(std::move(e));
          },
          JITGUARD_REQUEST_ARGS);

  m.def(
      "_policy_create",
      [](const std::string& text, const std::string& version, bool generated) {
        absl::StatusOr<std::shared_ptr<const Policy>> policy;
        {
          py::gil_scoped_release release;
          policy = Policy::Create(text, Options(version, generated));
        }
        return PyPolicy{Unwrap(std::move(policy))};
      },
      py::arg("text"), py::arg("version") = "", py::arg("generated") = false);

  py::class_<PyPolicyStore>(m, "_PolicyStore")
      .def(py::init([](const PyPolicy& initial) {
             return PyPolicyStore{Unwrap(PolicyStore::Create(initial.policy))};
           }),
           py::arg("initial"))
      .def(
          "reload",
          [](PyPolicyStore& s, const std::string& text, const std::string& version,
             bool generated) {
            absl::Status status;
            {
              py::gil_scoped_release release;
              status = s.store->Reload(text, Options(version, generated));
            }
            ThrowIfError(status);
          },
          py::arg("text"), py::arg("version") = "", py::arg("generated") = false)
      .def(
          "swap", [](PyPolicyStore& s, const PyPolicy& p) { s.store->Swap(p.policy); },
          py::arg("policy"))
      .def("snapshot", [](const PyPolicyStore& s) { return PyPolicy{s.store->Snapshot()}; })
      .def_property_readonly("version", [](const PyPolicyStore& s) { return s.store->version(); })
      .def("_evaluate", &Evaluate<PyPolicyStore>)
      .def("evaluate", &Evaluate<PyPolicyStore>, JITGUARD_REQUEST_ARGS);
}

}  // namespace jitguard::python
