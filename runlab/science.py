"""Published numbers behind runlab's defaults, each with its source.

One module so a default can be traced to a paper (``docs/science.md`` explains each in
prose). Modules import these names rather than repeating the numbers.

References
----------
- van Oeveren BT, de Ruiter CJ, Hoozemans MJM, Beek PJ, van Dieën JH (2019).
  Inter-individual differences in stride frequencies during running obtained from wearable
  data. *J Sports Sci* 37(17):1996–2006. doi:10.1080/02640414.2019.1614137
- Fukuchi RK, Fukuchi CA, Duarte M (2017). A public dataset of running biomechanics and the
  effects of running speed on lower extremity kinematics and kinetics. *PeerJ* 5:e3298.
  doi:10.7717/peerj.3298
- Heiderscheit BC, Chumanov ES, Michalski MP, Wille CM, Ryan MB (2011). Effects of step rate
  manipulation on joint mechanics during running. *Med Sci Sports Exerc* 43(2):296–302.
  doi:10.1249/MSS.0b013e3181ebedf4
- Willy RW, Buchenic L, Rogacki K, Ackerman J, Schmidt A, Willson JD (2016). In-field gait
  retraining and mobile monitoring to address running biomechanics associated with tibial
  stress fracture. *Scand J Med Sci Sports* 26(2):197–205. doi:10.1111/sms.12413
- de Ruiter CJ, Verdijk PWL, Werker W, Zuidema MJ, de Haan A (2014). Stride frequency in
  relation to oxygen consumption in experienced and novice runners. *Eur J Sport Sci*
  14(3):251–258. doi:10.1080/17461391.2013.783627
- Cavanagh PR, Kram R (1989). Stride length in distance running: velocity, body dimensions,
  and added mass effects. *Med Sci Sports Exerc* 21(4):467–479.
  doi:10.1249/00005768-198908000-00020
"""

from __future__ import annotations

__all__ = [
    "POPULATION_INTERCEPT_SPM", "POPULATION_SLOPE_SPM_PER_MPS", "TREADMILL_SLOPE_SPM_PER_MPS",
    "BETWEEN_RUNNER_SD_SPM", "WITHIN_RUNNER_SD_SPM", "NOVICE_CADENCE_SPM", "NOVICE_SD_SPM", "BOOST_PRESCRIBED",
    "RETAINED_BOOST_ONE_MONTH", "WALK_RUN_THRESHOLD_SPM",
]

#: Overground cadence of the population line at 0 m/s [steps/min]: cadence ≈ 150.0 + 6.01 v,
#: ~165 / 171 / 177 spm at 2.5 / 3.5 / 4.5 m/s (van Oeveren et al., 2019,
#: doi:10.1080/02640414.2019.1614137).
POPULATION_INTERCEPT_SPM = 150.0
#: Slope of that line [steps/min per m/s] (van Oeveren et al., 2019).
POPULATION_SLOPE_SPM_PER_MPS = 6.01
#: Slope on a treadmill, recreational runners [steps/min per m/s] (Fukuchi et al., 2017,
#: doi:10.7717/peerj.3298): steeper than overground.
TREADMILL_SLOPE_SPM_PER_MPS = 10.8
#: Between-runner SD of cadence at one speed [steps/min] (the inter-individual spread of
#: van Oeveren et al., 2019): a target must be relative to the runner's own cadence.
BETWEEN_RUNNER_SD_SPM = 8.0
#: Within-runner, run-to-run SD of cadence at one speed [steps/min]. Small next to the
#: between-runner spread (van Oeveren et al., 2019); runlab uses 3 spm, about the ±1 %
#: agreement of wrist and foot-pod cadence while running.
WITHIN_RUNNER_SD_SPM = 3.0
#: Novices' self-selected running cadence [steps/min]: 77.8 strides/min (de Ruiter et al.,
#: 2014, doi:10.1080/17461391.2013.783627).
NOVICE_CADENCE_SPM = 2 * 77.8
#: Between-novice SD of that cadence [steps/min]: 2.8 strides/min (de Ruiter et al., 2014).
NOVICE_SD_SPM = 2 * 2.8
#: Typical cadence-retraining prescriptions: +5 % to +10 % above habitual at the same pace,
#: as a fraction (Heiderscheit et al., 2011, doi:10.1249/MSS.0b013e3181ebedf4); +5 %
#: already lowers hip and knee loading.
BOOST_PRESCRIBED = (0.05, 0.10)
#: Cadence change still present one month after in-field retraining, as a fraction (+8.6 %;
#: Willy et al., 2016, doi:10.1111/sms.12413).
RETAINED_BOOST_ONE_MONTH = 0.086
#: Cadence around which walking and running separate [steps/min] (135–140); runlab enters
#: running above the upper and leaves below 130 (hysteresis), see :mod:`runlab.clean`.
WALK_RUN_THRESHOLD_SPM = (135.0, 140.0)
