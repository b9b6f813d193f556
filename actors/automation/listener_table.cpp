#include "actors/automation/listener_table.hpp"

#include <algorithm>

#include "runtime/errc.hpp"

namespace herald::automation {

namespace {

std::string join(const std::set<std::string>& xs) {
  std::string out;
  for (const auto& x : xs) {
    if (!out.empty())
      out += ", ";
    out += x;
  }
  return out;
}

} // namespace

caf::expected<std::vector<action_request>>
listener_table::connect(const std::string& id, std::vector<std::string> handles,
                        std::string ip, int64_t now_ns) {
  if (listeners_.count(id) > 0)
    return runtime::make_api_error(runtime::errc::conflict,
                                   "listener '" + id + "' is connected already",
                                   "listener_id");
  std::sort(handles.begin(), handles.end());
  handles.erase(std::unique(handles.begin(), handles.end()), handles.end());
  listeners_.emplace(id, listener{std::move(handles), std::move(ip), now_ns});
  // Serial order = perform order.
  std::vector<action_request> owed;
  for (const auto& [serial, k] : by_serial_) {
    const auto& a = actions_.at(k);
    if (a.waiting.count(id) > 0)
      owed.push_back(a.req);
  }
  return owed;
}

bool listener_table::disconnect(const std::string& id) {
  return listeners_.erase(id) > 0;
}

bool listener_table::is_connected(const std::string& id) const {
  return listeners_.count(id) > 0;
}

caf::expected<listener_table::started>
listener_table::perform(action_request req) {
  key k{req.task_id, req.step};
  if (actions_.count(k) > 0)
    return runtime::make_api_error(runtime::errc::conflict,
                                   "step '" + req.step + "' of task '" +
                                       req.task_id + "' is already waiting");
  started out;
  out.serial = ++next_serial_;
  for (const auto& [id, l] : listeners_)
    if (std::binary_search(l.handles.begin(), l.handles.end(), req.action))
      out.targets.push_back(id);
  if (out.targets.empty()) {
    out.done = action_outcome{};
    return out;
  }
  action a;
  a.serial = out.serial;
  a.req = std::move(req);
  a.targets = out.targets;
  a.waiting.insert(out.targets.begin(), out.targets.end());
  by_serial_.emplace(out.serial, k);
  actions_.emplace(std::move(k), std::move(a));
  return out;
}

std::optional<listener_table::finished>
listener_table::answer(const std::string& id, const std::string& task_id,
                       const std::string& step, bool ok,
                       const std::string& error) {
  auto it = actions_.find(key{task_id, step});
  if (it == actions_.end() || it->second.waiting.erase(id) == 0)
    return std::nullopt;
  if (!ok)
    it->second.errors.emplace_back(id, error.empty() ? "action_error" : error);
  if (!it->second.waiting.empty())
    return std::nullopt;
  return finish(it, std::nullopt);
}

std::optional<listener_table::finished>
listener_table::expire(uint64_t serial) {
  auto s = by_serial_.find(serial);
  if (s == by_serial_.end())
    return std::nullopt;
  auto it = actions_.find(s->second);
  return finish(it, "timed out waiting for " + join(it->second.waiting));
}

listener_table::aborted listener_table::abort(const std::string& task_id) {
  aborted out;
  auto it = actions_.lower_bound(key{task_id, std::string{}});
  while (it != actions_.end() && it->first.first == task_id) {
    for (const auto& id : it->second.waiting)
      if (listeners_.count(id) > 0)
        out.notices.push_back(abort_notice{id, it->second.req});
    out.done.push_back(finish(it++, "cancelled"));
  }
  return out;
}

bool listener_table::is_waiting_for(const std::string& id,
                                    const std::string& task_id,
                                    const std::string& step) const {
  auto it = actions_.find(key{task_id, step});
  return it != actions_.end() && it->second.waiting.count(id) > 0;
}

std::vector<listener_info> listener_table::listeners() const {
  std::vector<listener_info> out;
  for (const auto& [id, l] : listeners_) {
    listener_info info;
    info.id = id;
    info.handles = l.handles;
    info.ip = l.ip;
    info.connected_ns = l.connected_ns;
    for (const auto& [k, a] : actions_)
      info.pending += a.waiting.count(id);
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<std::string> listener_table::connected_ids() const {
  std::vector<std::string> out;
  for (const auto& [id, l] : listeners_)
    out.push_back(id);
  return out;
}

std::vector<listener_table::finished>
listener_table::finish_all(const std::string& outcome_error) {
  std::vector<finished> out;
  while (!actions_.empty())
    out.push_back(finish(actions_.begin(), outcome_error));
  return out;
}

listener_table::finished
listener_table::finish(std::map<key, action>::iterator it,
                       std::optional<std::string> failure) {
  finished out;
  out.serial = it->second.serial;
  out.outcome.listeners = it->second.targets;
  std::string error;
  if (failure)
    error = std::move(*failure);
  // A cancelled action says only that: the answers no longer matter.
  if (error != "cancelled")
    for (const auto& [id, text] : it->second.errors) {
      if (!error.empty())
        error += "; ";
      error += "listener " + id + ": " + text;
    }
  out.outcome.ok = error.empty();
  out.outcome.error = std::move(error);
  by_serial_.erase(it->second.serial);
  actions_.erase(it);
  return out;
}

} // namespace herald::automation
