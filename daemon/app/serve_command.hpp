#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace redrund {

// `redrund serve`: the long-running daemon (README "Running the daemon").
struct serve_options {
  std::string config_file;  // empty: the embedded default (config/redrund.json)
  std::string data_dir;     // empty: a temporary directory, removed at exit
  std::string tcp, ws, http;
  std::string token, admin_token;
  bool check_config = false;  // validate the configuration and exit
};

CLI::App* add_serve_command(CLI::App& app, serve_options& options);
int serve(serve_options options);

}  // namespace redrund
