// heraldd — one Herald node. See `heraldd --help` and docs/API.md.
#include "tools/heraldd/daemon.hpp"
#include "tools/heraldd/daemon_config.hpp"

int main(int argc, char** argv) {
  int exit_code = 0;
  auto cfg = herald::heraldd::parse_command_line(argc, argv, exit_code);
  if (!cfg)
    return exit_code;
  return herald::heraldd::run_daemon(*cfg);
}
