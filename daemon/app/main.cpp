// redrund: simulated ComputerCraft computers on a rednet network.

#include <CLI/CLI.hpp>

#include <iostream>

#include "app/exit_codes.hpp"
#include "app/run_command.hpp"
#include "app/serve_command.hpp"
#include "app/test_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"redrund: simulated ComputerCraft (CC: Tweaked) computers on a rednet network"};
  app.set_version_flag("--version", std::string("redrund ") + REDRUND_VERSION);
  app.require_subcommand(1);
  redrund::run_options run_options;
  CLI::App* run = redrund::add_run_command(app, run_options);
  redrund::test_options test_options;
  CLI::App* test = redrund::add_test_command(app, test_options);
  redrund::serve_options serve_options;
  CLI::App* serve = redrund::add_serve_command(app, serve_options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? 0 : redrund::exit_code::usage_error;
  }
  if (run->parsed()) return redrund::run_program(run_options);
  if (test->parsed()) return redrund::run_test(test_options);
  if (serve->parsed()) return redrund::serve(serve_options);
  return redrund::exit_code::usage_error;
}
