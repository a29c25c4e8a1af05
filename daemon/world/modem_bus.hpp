#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "computer/peripheral_bus.hpp"
#include "core/ticks.hpp"
#include "world/faults.hpp"
#include "world/network.hpp"

namespace redrund {

class computer;

// What a remote computer peripheral can ask of the computer behind it.
enum class power_action : std::uint8_t { turn_on, shutdown, reboot };

// What the modem peripherals need from the world around them.
class computer_directory {
 public:
  virtual ~computer_directory() = default;
  virtual computer* find_computer(std::uint32_t id) = 0;
  // Queues `e` into a computer now (delay 0) or after `delay_ticks`.
  virtual void deliver(std::uint32_t computer_id, event e, tick_t delay_ticks) = 0;
  virtual tick_t now_ticks() const = 0;
  // Asks for a computer to be turned on, shut down or rebooted at the start of the next tick
  // (as CC applies a remote computer's turnOn/shutdown/reboot on its next tick, never
  // inside the caller's Lua call).
  virtual void request_power(std::uint32_t computer_id, power_action action) = 0;
};

struct modem_stats {
  std::uint64_t transmissions = 0;
  std::uint64_t deliveries[3] = {0, 0, 0};  // by receiving modem kind
};

// The peripherals of the networked world: modems on computer sides, exactly as CC's modem
// peripheral behaves (channels, range, copy rules, error messages), and other computers on
// the same cable as remote "computer_<id>" peripherals of wired modems.
class modem_bus final : public peripheral_bus {
 public:
  modem_bus(network& net, fault_injector& faults, computer_directory& directory)
      : net_(net), faults_(faults), directory_(directory) {}

  std::vector<std::string> names(std::uint32_t computer) const override;
  std::vector<std::string> types(std::uint32_t computer, std::string_view name) const override;
  std::vector<std::string> methods(std::uint32_t computer, std::string_view name) const override;
  peripheral_result call(std::uint32_t computer, std::string_view name, std::string_view method,
                         const value_list& arguments) override;

  const modem_stats& stats() const { return stats_; }

  // Method handlers (dispatched through a table by name).
  peripheral_result open(modem_key modem, const value_list& args);
  peripheral_result is_open(modem_key modem, const value_list& args);
  peripheral_result close(modem_key modem, const value_list& args);
  peripheral_result close_all(modem_key modem, const value_list& args);
  peripheral_result transmit(modem_key modem, const value_list& args);
  peripheral_result is_wireless(modem_key modem, const value_list& args);
  peripheral_result get_names_remote(modem_key modem, const value_list& args);
  peripheral_result is_present_remote(modem_key modem, const value_list& args);
  peripheral_result get_type_remote(modem_key modem, const value_list& args);
  peripheral_result has_type_remote(modem_key modem, const value_list& args);
  peripheral_result get_methods_remote(modem_key modem, const value_list& args);
  peripheral_result call_remote(modem_key modem, const value_list& args);
  peripheral_result get_name_local(modem_key modem, const value_list& args);

 private:
  // The computer id behind a remote name on this modem's cable, or -1.
  std::int64_t remote_computer(modem_key modem, std::string_view name) const;

  network& net_;
  fault_injector& faults_;
  computer_directory& directory_;
  modem_stats stats_;
};

}  // namespace redrund
