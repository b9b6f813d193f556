#include "tools/heraldctl/output.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>

#include "runtime/errc.hpp"

namespace herald::heraldctl {

namespace {

std::string cell(const nlohmann::json& v) {
  if (v.is_null())
    return "-";
  if (v.is_string())
    return v.get<std::string>();
  return v.dump();
}

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string hint(std::string_view code) {
  if (code == "unauthorized")
    return "pass a valid token with --token, $HERALD_TOKEN or --data-dir DIR "
           "(DIR/admin.token)";
  if (code == "forbidden")
    return "the token's identity lacks the role this needs (admin, publisher "
           "or reader)";
  if (code == "not_found")
    return "check the id or key (list them first)";
  if (code == "unavailable")
    return "is heraldd running? check --node HOST:PORT / --http HOST:PORT";
  return {};
}

int code_exit(std::string_view code, int status) {
  if (code == "unauthorized" || code == "forbidden" || code == "not_found" ||
      status == 401 || status == 403 || status == 404)
    return exit_not_found;
  if (status == 400 || code.rfind("invalid_", 0) == 0)
    return exit_usage;
  return exit_failure;
}

void print_error(std::string_view code, const std::string& message,
                 const std::string& field) {
  std::cerr << "error: " << code << ": " << message;
  if (!field.empty())
    std::cerr << " (field " << field << ")";
  std::cerr << "\n";
  if (auto h = hint(code); !h.empty())
    std::cerr << "hint: " << h << "\n";
}

} // namespace

void print_table(const nlohmann::json& rows, const std::vector<column>& cols) {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width;
  std::vector<std::string> head;
  for (auto& c : cols) {
    head.push_back(upper(c.second));
    width.push_back(head.back().size());
  }
  for (auto& row : rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < cols.size(); ++i) {
      auto v = row.is_object() && row.contains(cols[i].first)
                   ? cell(row[cols[i].first])
                   : std::string{"-"};
      width[i] = std::max(width[i], v.size());
      line.push_back(std::move(v));
    }
    cells.push_back(std::move(line));
  }
  auto print = [&](const std::vector<std::string>& line) {
    std::string out;
    for (size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size())
        out += std::string(width[i] - line[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  print(head);
  for (auto& line : cells)
    print(line);
}

void print_fields(const nlohmann::json& obj) {
  nlohmann::json rows = nlohmann::json::array();
  if (obj.is_object())
    for (auto& [k, v] : obj.items())
      rows.push_back({{"field", k}, {"value", v}});
  print_table(rows, {{"field", "field"}, {"value", "value"}});
}

int report(const caf::error& err) {
  auto e = runtime::describe(err);
  print_error(e.code_str(), e.message, e.field);
  return code_exit(e.code_str(), 0);
}

int report(const client::http_reply& reply) {
  std::string code = "http_" + std::to_string(reply.status);
  std::string message = reply.body;
  std::string field;
  auto body = nlohmann::json::parse(reply.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    auto& e = body["error"];
    code = e.value("code", code);
    message = e.value("message", message);
    field = e.value("field", "");
  }
  print_error(code, message, field);
  return code_exit(code, reply.status);
}

int usage(const std::string& message) {
  std::cerr << "error: usage: " << message << "\n"
            << "hint: heraldctl --help lists the commands and flags\n";
  return exit_usage;
}

} // namespace herald::heraldctl
