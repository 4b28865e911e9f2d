#pragma once

#include <array>

#include "absl/time/time.h"

namespace vigil::sim {

// The rates of the traffic model, from docs/domain 95598.md Part 3 (cited by
// section). Where two anchors of Part 3 contradict each other, the comment
// says which one wins; tools/sim/README.md lists those choices.
struct ModelParams {
  // --- §3.2 baseline demand -------------------------------------------------
  // Calls per 1,000 customers per day on a normal weekday (Jan, factor 1).
  double calls_per_1000_customers = 0.2;
  // Calls that produce a ticket (§3.2: tickets ≈ 0.8–1.0 × calls); the rest
  // are consultations closed on the call.
  double ticket_share_of_calls = 0.88;
  // Ticket mix of a normal day (§3.2), of all tickets including those the
  // outage and recall processes produce (the background is calibrated to it).
  double mix_repair = 0.40;
  double mix_consultation = 0.30;
  double mix_service_request = 0.12;
  double mix_urge = 0.07;
  double mix_opinion = 0.05;
  double mix_complaint = 0.025;
  double mix_praise = 0.02;
  double mix_report = 0.005;
  double repair_evening_factor = 1.3;      // 18–23 h
  double consult_off_hours_factor = 0.5;   // outside 08–18 h (consultation, service requests)
  double weekend_consult_factor = 0.75;    // Sat/Sun, consultation and service requests
  double weekend_complaint_factor = 0.85;  // Sat/Sun
  // Temperature: repairs +4 %/°C above 30 °C, +3 %/°C below −5 °C.
  double heat_per_degree = 0.04;
  double cold_per_degree = 0.03;

  // --- §3.3 outage process --------------------------------------------------
  // Fault outages starting in an area, per area and year, by area class. Lower
  // than §3.3's 1–4 per customer and year: at those rates outage calls alone
  // would exceed §3.2's 0.2 calls/1,000/day. These give ~0.45 fault outages
  // per customer-year (~0.4 planned), outage calls ≈ 45 % of the repair
  // tickets (§3.2: 40–60 % are customer-side) and a few feeder faults per
  // city and day (§3.5 normal_weekday).
  std::array<double, 3> fault_origins_per_area_year = {0.12, 0.21, 0.28};
  std::array<double, 3> planned_origins_per_area_year = {0.07, 0.10, 0.10};
  // Scope of a fault: single area (LV), feeder section, whole feeder (§3.3).
  double scope_single_area = 0.65;
  double scope_feeder_section = 0.30;
  absl::Duration fault_median = absl::Minutes(90);  // lognormal, §3.3
  double fault_sigma = 0.8;
  double planned_scope_single_area = 0.30;  // planned: single area, else section / feeder
  double planned_scope_feeder_section = 0.50;
  double planned_weekend_factor = 0.3;
  double planned_overrun_share = 0.10;
  double temporary_share = 0.15;  // of planned-type outages, 24 h notice
  double no_notice_share = 0.03;  // planned outages without notice (§3.3: 2–5 %)
  double fault_sms_share = 0.7;   // fault outages with SMS + ETR within 10 min
  double p_call_fault_unnotified = 0.06;
  double p_call_fault_sms = 0.02;
  double p_call_planned_notified = 0.005;
  double p_call_planned_unnotified = 0.05;
  absl::Duration call_delay_fault = absl::Minutes(12);
  absl::Duration call_delay_planned = absl::Minutes(5);
  double ticket_per_outage_call = 0.85;  // the rest are told "known outage" on the call
  double recall_on_etr_pass = 0.3;       // per earlier caller, at ETR and every 2 h after
  double etr_padding = 1.3;              // dispatchers' ETR ≈ true duration × 1.3 × noise
  double etr_sigma = 0.35;
  // Complaint conversion per affected customer and its multipliers.
  double complaint_base = 0.0005;
  double complaint_over_commitment = 3;
  double complaint_frequent = 5;
  double complaint_unnotified = 4;
  double complaint_sensitive = 2;

  // --- §3.4 repeat calls, urges, escalation ----------------------------------
  // Re-calls on an open ticket per hour after a missed promise; before it the
  // rate is calibrated so urges are mix_urge of the tickets (§3.4's 0.02/h
  // would make them ~20 %).
  double recall_after_deadline_per_hour = 0.15;
  double recall_sensitive_factor = 2;
  double complaint_after_two_urges = 0.3;
  double dissatisfied_revisit = 0.1;
  double escalate_after_dissatisfied = 0.075;
  double repeat_call_after_close = 0.05;  // within 7 days (0.15 when it was overdue)
  double tendency_flag_share = 0.12;      // complaints with 越级倾向 text (§3.4: 10–15 %)
  double media_flag_share = 1.0 / 2000;

  // --- ticket handling --------------------------------------------------------
  double overdue_share = 0.03;       // non-repair tickets replied after their deadline
  double late_contact_share = 0.04;  // complaints contacted after 24 h
  double suspended_share = 0.05;     // complaints whose customer asks to wait (挂起)
  // Arrival (travel) median by area class, and the commitments of §1.2.
  std::array<absl::Duration, 3> travel_median = {absl::Minutes(25), absl::Minutes(50),
                                                 absl::Minutes(75)};
  std::array<absl::Duration, 3> arrival_limit = {absl::Minutes(45), absl::Minutes(90),
                                                 absl::Minutes(120)};
  std::array<absl::Duration, 3> restore_limit = {absl::Hours(3), absl::Hours(4), absl::Hours(4)};
  // Restore after arrival (customer-side repairs): lognormal, typically 1–3 h.
  absl::Duration fix_median = absl::Minutes(80);
  double fix_sigma = 0.55;
  double crew_target_utilisation = 0.35;  // at the evening peak
};

// Share of a normal day's calls per local hour (§3.2; sums to 1).
inline constexpr std::array<double, 24> kIntradayWeights = {
    0.012, 0.012, 0.012, 0.012, 0.012, 0.012, 0.02, 0.035, 0.055, 0.08,  0.08, 0.065,
    0.045, 0.05,  0.065, 0.062, 0.058, 0.05,  0.05, 0.06,  0.06,  0.045, 0.03, 0.018};

// Seasonal multipliers by month (index 0 = January), §3.2: repairs Jan 1.0,
// Apr 0.8, Jul–Aug 1.6–2.0; complaints ×2 in summer (12398 华北).
inline constexpr std::array<double, 12> kRepairSeason = {1.0, 1.0, 0.9, 0.8, 0.9,  1.2,
                                                         1.8, 1.7, 1.1, 0.9, 0.95, 1.0};
inline constexpr std::array<double, 12> kComplaintSeason = {1.0, 1.0, 1.0, 1.0, 1.2, 1.5,
                                                            2.0, 2.0, 1.4, 1.0, 1.0, 1.0};

}  // namespace vigil::sim
