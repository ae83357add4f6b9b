//! The county the data is generated for: its real townships and villages
//! (from the shipped division codes), the ID-number area codes its people
//! carry, and the medical facilities they use, from the township health
//! centre (卫生院) up to provincial and Beijing hospitals.

use jianfu_domain::RegionLevel;

use crate::SynthError;
use crate::diseases::Specialty;
use crate::names;
use crate::rng::Rng;

/// Settlement level of a facility (settlement.md §2 `level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Township = 0,
    County = 1,
    City = 2,
    Province = 3,
}

impl Level {
    pub(crate) const ALL: [Level; 4] =
        [Level::Township, Level::County, Level::City, Level::Province];

    pub(crate) fn code(self) -> &'static str {
        match self {
            Level::Township => "township",
            Level::County => "county",
            Level::City => "city",
            Level::Province => "province",
        }
    }

    /// Township and county facilities lie inside the insured county.
    pub(crate) fn county_internal(self) -> bool {
        matches!(self, Level::Township | Level::County)
    }

    pub(crate) fn from_index(i: usize) -> Level {
        Level::ALL[i.min(3)]
    }
}

/// A medical facility.
#[derive(Debug, Clone)]
pub(crate) struct Facility {
    /// National-style facility code: `H` + 6-digit region + 5-digit serial.
    pub code: String,
    pub name: String,
    pub level: Level,
    pub specialty: Specialty,
    /// Relative share of the patients of its level and specialty.
    pub weight: f64,
    /// Outside the county's province.
    pub out_of_province: bool,
}

/// A village (村民委员会) or residents' committee (居民委员会/社区).
#[derive(Debug, Clone)]
pub(crate) struct Village {
    pub code: String,
    /// Index into [`County::townships`].
    pub township: usize,
    /// Relative number of households.
    pub weight: f64,
    /// Multiplier on the chance that a household is poor.
    pub poverty: f64,
    /// The village's dominant surnames (north-China villages are often
    /// single- or few-surname villages).
    pub surnames: [&'static str; 3],
}

/// A township (乡镇、街道) with its health centre.
#[derive(Debug, Clone)]
pub(crate) struct Township {
    /// Index into [`County::facilities`] of the health centre that serves it.
    pub clinic: usize,
}

/// Everything the generator needs to know about the county.
#[derive(Debug, Clone)]
pub(crate) struct County {
    pub code: String,
    pub villages: Vec<Village>,
    pub townships: Vec<Township>,
    pub facilities: Vec<Facility>,
    /// ID area codes of neighbouring counties of the same prefecture.
    pub neighbour_areas: Vec<String>,
    /// Obsolete ID area codes of this county: (code, latest birth year).
    pub obsolete_areas: Vec<(&'static str, i32)>,
    county_hospital: usize,
    county_tcm: usize,
    county_maternal: usize,
    /// Candidates per (city/province, specialty): (facility index, weight).
    upper: [[Vec<(usize, f64)>; 5]; 2],
}

/// Counties that really border a county, same prefecture first (used in
/// preference to "any county of the prefecture").
const NEIGHBOURS: &[(&str, &[&str])] = &[
    // 阜平县: 涞源县, 唐县, 曲阳县
    ("130624", &["130630", "130627", "130634"]),
];

/// Obsolete area codes still found in ID numbers: (county today, old code,
/// latest birth year of a holder). The 1324xx codes are those of the former
/// 保定地区 (merged into 保定市 in 1994): a first-generation card issued
/// before then kept its code when it was upgraded to 18 digits. 130621,
/// 130622 and 130625 are the 满城/清苑/徐水 counties that became districts
/// in 2015.
const OBSOLETE: &[(&str, &str, i32)] = &[
    ("130624", "132438", 1977),
    ("130630", "132424", 1977),
    ("130627", "132427", 1977),
    ("130634", "132437", 1977),
    ("130607", "130621", 2014),
    ("130608", "130622", 2014),
    ("130609", "130625", 2014),
];

fn specialty_index(s: Specialty) -> usize {
    match s {
        Specialty::General => 0,
        Specialty::Cancer => 1,
        Specialty::Children => 2,
        Specialty::Mental => 3,
        Specialty::Maternal => 4,
    }
}

/// Real hospitals of 保定市 (city level) and 河北省 (province level).
const BAODING_CITY: &[(&str, Specialty, f64)] = &[
    ("保定市第一中心医院", Specialty::General, 0.35),
    ("河北大学附属医院", Specialty::General, 0.25),
    ("保定市第二中心医院", Specialty::General, 0.15),
    ("保定市第一医院", Specialty::General, 0.15),
    ("保定市妇幼保健院", Specialty::Maternal, 1.0),
];
const HEBEI_PROVINCE: &[(&str, Specialty, f64)] = &[
    ("河北医科大学第二医院", Specialty::General, 0.4),
    ("河北省人民医院", Specialty::General, 0.35),
    ("河北医科大学第四医院", Specialty::Cancer, 0.7),
    ("河北省儿童医院", Specialty::Children, 0.7),
    ("河北省第六人民医院", Specialty::Mental, 1.0),
];

impl County {
    /// Loads the county from the shipped division codes.
    pub(crate) fn load(county: &str, rng: &mut Rng) -> Result<County, SynthError> {
        let unknown = || SynthError::UnknownCounty {
            code: county.to_string(),
        };
        if county.len() != 6 || !county.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unknown());
        }
        let province_code = format!("{}0000000000", &county[..2]);
        let city_code = format!("{}00000000", &county[..4]);
        let county_code = format!("{county}000000");
        let mut province_name = String::new();
        let mut city_name = String::new();
        let mut county_name: Option<String> = None;
        let mut prefecture_counties: Vec<String> = Vec::new();
        let mut townships: Vec<(String, String)> = Vec::new();
        let mut villages: Vec<(String, String)> = Vec::new();
        for r in jianfu_regions::regions(&county[..2]) {
            let code = r.code.as_str();
            match r.level {
                RegionLevel::Province if code == province_code => province_name = r.name,
                RegionLevel::City if code == city_code => city_name = r.name,
                RegionLevel::County if code == county_code => county_name = Some(r.name),
                RegionLevel::County if code.starts_with(&county[..4]) => {
                    prefecture_counties.push(code[..6].to_string());
                }
                RegionLevel::Township if code.starts_with(county) => {
                    townships.push((code.to_string(), r.name));
                }
                RegionLevel::Village if code.starts_with(county) => {
                    villages.push((code.to_string(), r.name));
                }
                _ => {}
            }
        }
        let county_name = county_name.ok_or_else(unknown)?;
        if villages.is_empty() {
            return Err(SynthError::NoVillages {
                code: county.to_string(),
                name: county_name,
            });
        }
        if city_name.is_empty()
            || city_name.contains("直辖")
            || city_name == "市辖区"
            || city_name == "县"
        {
            city_name = province_name.clone();
        }

        let mut facilities: Vec<Facility> = Vec::new();
        let add = |facilities: &mut Vec<Facility>,
                   region: &str,
                   serial: usize,
                   name: String,
                   level: Level,
                   specialty: Specialty,
                   weight: f64| {
            facilities.push(Facility {
                code: format!("H{region}{serial:05}"),
                name,
                level,
                specialty,
                weight,
                out_of_province: !region.starts_with(&county[..2]),
            });
            facilities.len() - 1
        };

        // County hospitals.
        let hospital_name = if county_name.ends_with('县') {
            format!("{county_name}医院")
        } else {
            format!("{county_name}人民医院")
        };
        let county_hospital = add(
            &mut facilities,
            county,
            1,
            hospital_name,
            Level::County,
            Specialty::General,
            0.8,
        );
        let county_tcm = add(
            &mut facilities,
            county,
            2,
            format!("{county_name}中医医院"),
            Level::County,
            Specialty::General,
            0.2,
        );
        let county_maternal = add(
            &mut facilities,
            county,
            3,
            format!("{county_name}妇幼保健院"),
            Level::County,
            Specialty::Maternal,
            1.0,
        );

        // Township health centres.
        let mut township_list: Vec<Township> = Vec::with_capacity(townships.len());
        let mut first_clinic: Option<usize> = None;
        let mut pending: Vec<usize> = Vec::new();
        for (i, (_, name)) in townships.iter().enumerate() {
            let clinic_name =
                if name.ends_with('镇') || name.ends_with('乡') || name.ends_with("苏木") {
                    Some(format!("{name}卫生院"))
                } else if [
                    "开发区",
                    "园区",
                    "示范区",
                    "农场",
                    "林场",
                    "管理",
                    "办公室",
                    "虚拟",
                ]
                .iter()
                .any(|w| name.contains(w))
                {
                    None // served by the health centre of the county seat
                } else {
                    Some(format!(
                        "{}社区卫生服务中心",
                        name.trim_end_matches("办事处")
                    ))
                };
            let clinic = match clinic_name {
                Some(n) => {
                    let idx = add(
                        &mut facilities,
                        county,
                        101 + i,
                        n,
                        Level::Township,
                        Specialty::General,
                        1.0,
                    );
                    first_clinic.get_or_insert(idx);
                    idx
                }
                None => {
                    pending.push(i);
                    usize::MAX
                }
            };
            township_list.push(Township { clinic });
        }
        let fallback_clinic = match first_clinic {
            Some(c) => c,
            None => add(
                &mut facilities,
                county,
                100,
                format!("{county_name}社区卫生服务中心"),
                Level::Township,
                Specialty::General,
                1.0,
            ),
        };
        for i in pending {
            township_list[i].clinic = fallback_clinic;
        }

        // City hospitals.
        let city_region = format!("{}00", &county[..4]);
        if &county[..4] == "1306" {
            for (i, (name, spec, w)) in BAODING_CITY.iter().enumerate() {
                add(
                    &mut facilities,
                    &city_region,
                    i + 1,
                    name.to_string(),
                    Level::City,
                    *spec,
                    *w,
                );
            }
        } else {
            let list = [
                (format!("{city_name}人民医院"), Specialty::General, 0.5),
                (format!("{city_name}中心医院"), Specialty::General, 0.3),
                (format!("{city_name}中医医院"), Specialty::General, 0.2),
                (format!("{city_name}妇幼保健院"), Specialty::Maternal, 1.0),
                (format!("{city_name}精神卫生中心"), Specialty::Mental, 1.0),
            ];
            for (i, (name, spec, w)) in list.into_iter().enumerate() {
                add(
                    &mut facilities,
                    &city_region,
                    i + 1,
                    name,
                    Level::City,
                    spec,
                    w,
                );
            }
        }

        // Provincial hospitals, and Beijing's national centres.
        let province_region = format!("{}0000", &county[..2]);
        if &county[..2] == "13" {
            for (i, (name, spec, w)) in HEBEI_PROVINCE.iter().enumerate() {
                add(
                    &mut facilities,
                    &province_region,
                    i + 1,
                    name.to_string(),
                    Level::Province,
                    *spec,
                    *w,
                );
            }
        } else {
            let list = [
                (format!("{province_name}人民医院"), Specialty::General, 0.75),
                (format!("{province_name}肿瘤医院"), Specialty::Cancer, 0.7),
                (format!("{province_name}儿童医院"), Specialty::Children, 0.7),
                (
                    format!("{province_name}精神卫生中心"),
                    Specialty::Mental,
                    1.0,
                ),
            ];
            for (i, (name, spec, w)) in list.into_iter().enumerate() {
                add(
                    &mut facilities,
                    &province_region,
                    i + 1,
                    name,
                    Level::Province,
                    spec,
                    w,
                );
            }
        }
        if &county[..2] != "11" {
            add(
                &mut facilities,
                "110105",
                1,
                "中国医学科学院肿瘤医院".into(),
                Level::Province,
                Specialty::Cancer,
                0.3,
            );
            add(
                &mut facilities,
                "110102",
                1,
                "首都医科大学附属北京儿童医院".into(),
                Level::Province,
                Specialty::Children,
                0.3,
            );
            add(
                &mut facilities,
                "110102",
                2,
                "北京大学第一医院".into(),
                Level::Province,
                Specialty::General,
                0.25,
            );
        }

        let mut upper: [[Vec<(usize, f64)>; 5]; 2] = Default::default();
        for (i, f) in facilities.iter().enumerate() {
            let slot = match f.level {
                Level::City => 0,
                Level::Province => 1,
                _ => continue,
            };
            upper[slot][specialty_index(f.specialty)].push((i, f.weight));
        }

        // Villages: households by kind of committee, with some spread.
        let township_index = |code: &str| {
            townships
                .iter()
                .position(|(t, _)| t[..9] == code[..9])
                .unwrap_or(0)
        };
        let village_list = villages
            .iter()
            .map(|(code, name)| {
                let (weight, poverty) = if name.contains("搬迁") {
                    (0.6, 3.0)
                } else if name.contains("村民委员会") || name.ends_with("村委会") {
                    (1.0, rng.lognormal(1.0, 0.35))
                } else if name.contains("新区") {
                    (0.5, 2.0)
                } else if name.contains("居民委员会") || name.contains("社区") {
                    (0.35, 0.5)
                } else {
                    (0.1, 0.6)
                };
                let surnames = [
                    names::surname(rng),
                    names::surname(rng),
                    names::surname(rng),
                ];
                Village {
                    code: code.clone(),
                    township: if townships.is_empty() {
                        0
                    } else {
                        township_index(code)
                    },
                    weight: weight * rng.lognormal(1.0, 0.35),
                    poverty,
                    surnames,
                }
            })
            .collect();
        if township_list.is_empty() {
            township_list.push(Township {
                clinic: fallback_clinic,
            });
        }

        let neighbour_areas = match NEIGHBOURS.iter().find(|(c, _)| *c == county) {
            Some((_, list)) => list.iter().map(|s| s.to_string()).collect(),
            None => prefecture_counties
                .into_iter()
                .filter(|c| c.as_str() != county && c[4..6] < *"70")
                .collect(),
        };
        let obsolete_areas = OBSOLETE
            .iter()
            .filter(|(c, _, _)| *c == county)
            .map(|(_, old, year)| (*old, *year))
            .collect();

        Ok(County {
            code: county.to_string(),
            villages: village_list,
            townships: township_list,
            facilities,
            neighbour_areas,
            obsolete_areas,
            county_hospital,
            county_tcm,
            county_maternal,
            upper,
        })
    }

    /// A facility of `level` suited to `specialty`, for a person living in
    /// township `township`.
    pub(crate) fn facility(
        &self,
        rng: &mut Rng,
        level: Level,
        specialty: Specialty,
        township: usize,
    ) -> usize {
        match level {
            Level::Township => self.townships[township.min(self.townships.len() - 1)].clinic,
            Level::County => match specialty {
                Specialty::Maternal if rng.chance(0.5) => self.county_maternal,
                _ if rng.chance(0.82) => self.county_hospital,
                _ => self.county_tcm,
            },
            Level::City | Level::Province => {
                let slot = usize::from(level == Level::Province);
                let mut list = &self.upper[slot][specialty_index(specialty)];
                if list.is_empty() || (specialty != Specialty::General && rng.chance(0.25)) {
                    list = &self.upper[slot][0];
                }
                let weights: Vec<f64> = list.iter().map(|(_, w)| *w).collect();
                list[rng.weighted(&weights)].0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuping_is_loaded_with_real_places() {
        let mut rng = Rng::new(1);
        let c = County::load("130624", &mut rng).unwrap();
        assert_eq!(c.villages.len(), 213);
        assert!(
            c.villages
                .iter()
                .all(|v| v.code.starts_with("130624") && v.code.len() == 12)
        );
        let names: Vec<&str> = c.facilities.iter().map(|f| f.name.as_str()).collect();
        assert!(names.contains(&"阜平县医院"));
        assert!(names.contains(&"龙泉关镇卫生院"));
        assert!(names.contains(&"保定市第一中心医院"));
        assert!(names.contains(&"河北医科大学第四医院"));
        assert_eq!(c.neighbour_areas, ["130630", "130627", "130634"]);
        assert_eq!(c.obsolete_areas, [("132438", 1977)]);
        for f in &c.facilities {
            assert_eq!(f.code.len(), 12, "{}", f.code);
            assert_eq!(
                f.code[1..7] == *"130624",
                f.level.county_internal(),
                "{}",
                f.name
            );
        }
        // The resettlement communities are poorer than the average village.
        let resettled = c
            .villages
            .iter()
            .find(|v| v.code == "130624104001")
            .unwrap();
        assert!(resettled.poverty > 2.0);
    }

    #[test]
    fn unknown_counties_are_refused() {
        let mut rng = Rng::new(1);
        assert!(matches!(
            County::load("139999", &mut rng),
            Err(SynthError::UnknownCounty { .. })
        ));
        assert!(matches!(
            County::load("13062", &mut rng),
            Err(SynthError::UnknownCounty { .. })
        ));
        assert!(matches!(
            County::load("130600", &mut rng),
            Err(SynthError::UnknownCounty { .. })
        ));
        assert!(matches!(
            County::load("abcdef", &mut rng),
            Err(SynthError::UnknownCounty { .. })
        ));
    }

    #[test]
    fn other_counties_get_generic_facilities() {
        let mut rng = Rng::new(1);
        let c = County::load("110105", &mut rng).unwrap();
        assert!(!c.villages.is_empty());
        assert!(c.facilities.iter().any(|f| f.name == "北京市人民医院"));
        assert!(
            c.facilities
                .iter()
                .any(|f| f.name.ends_with("社区卫生服务中心"))
        );
    }
}
