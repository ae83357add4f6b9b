//! The disease model: which diagnoses people of a given age and sex carry,
//! with real ICD-10 codes (national clinical extensions included) and
//! Chinese names, and how each disease drives medical claims.
//!
//! Prevalences are for diagnoses on record in a rural north-China county
//! (diagnosed within the last ten years), not for the true disease burden:
//! the chronic ones follow the national chronic-disease surveillance
//! orders of magnitude (hypertension about a third of people over 60,
//! type-2 diabetes about a tenth of people over 50), the 30 major diseases
//! add up to roughly 1.5 % of all persons, mostly old.

/// The diseases the generator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dz {
    Hypertension,
    Diabetes,
    Tuberculosis,
    Mental,
    Stroke,
    Copd,
    Cancer,
    Esrd,
    Ami,
    Cataract,
    Pneumoconiosis,
    Rheumatic,
    Hiv,
    ChildLeukaemia,
    CongenitalHeart,
    Cleft,
    Hypospadias,
    Haemophilia,
    Thalassaemia,
    Osteosarcoma,
}

/// Where a disease is usually diagnosed or treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Specialty {
    General,
    Cancer,
    Children,
    Mental,
    Maternal,
}

/// An ICD-10 code with its Chinese name and a relative weight.
pub(crate) type Code = (&'static str, &'static str, f64);

/// How a disease shows up in the claims.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClaimProfile {
    /// Extra inpatient admissions per year in the year of diagnosis and the next.
    pub inpatient_early: f64,
    /// Extra inpatient admissions per year later on.
    pub inpatient_later: f64,
    /// Weights of township, county, city, province for its admissions.
    pub levels: [f64; 4],
    /// Cost multiplier for its admissions.
    pub cost_factor: f64,
    /// Share of patients certified for 门诊慢特病.
    pub chronic_certified: f64,
    /// 门诊慢特病 settlements per year for a certified patient.
    pub chronic_per_year: f64,
    /// Median cost of one 门诊慢特病 settlement, yuan.
    pub chronic_median: f64,
    /// Log-scale spread of that cost.
    pub chronic_sigma: f64,
    /// Weights of township, county, city, province for 门诊慢特病.
    pub chronic_levels: [f64; 4],
    /// Multiplier on the chance of dying in the claim years.
    pub mortality: f64,
}

/// One disease of the model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub dz: Dz,
    /// Codes for men (and for women when `codes_female` is empty).
    pub codes: &'static [Code],
    /// Codes for women, when they differ.
    pub codes_female: &'static [Code],
    /// Age bands: (upper age, exclusive; chance for a man; chance for a woman).
    pub prevalence: &'static [(u32, f64, f64)],
    /// The diagnosis lies within this many years before the reference date.
    pub years_back: i64,
    /// Diagnosed in the first year of life when the window allows.
    pub congenital: bool,
    /// On the list of 30 major diseases.
    pub major: bool,
    /// Where it is diagnosed and treated.
    pub specialty: Specialty,
    /// Weights of township, county, city, province for the diagnosing facility.
    pub diag_levels: [f64; 4],
    pub claims: ClaimProfile,
}

impl Spec {
    /// Chance that a person of `age` and sex carries the diagnosis.
    pub(crate) fn chance(&self, age: u32, male: bool) -> f64 {
        self.prevalence
            .iter()
            .find(|(upper, _, _)| age < *upper)
            .map_or(0.0, |(_, m, f)| if male { *m } else { *f })
    }

    /// The code list for a sex.
    pub(crate) fn codes_for(&self, male: bool) -> &'static [Code] {
        if male || self.codes_female.is_empty() {
            self.codes
        } else {
            self.codes_female
        }
    }
}

const NO_CLAIMS: ClaimProfile = ClaimProfile {
    inpatient_early: 0.0,
    inpatient_later: 0.0,
    levels: [0.2, 0.5, 0.25, 0.05],
    cost_factor: 1.0,
    chronic_certified: 0.0,
    chronic_per_year: 0.0,
    chronic_median: 300.0,
    chronic_sigma: 0.5,
    chronic_levels: [0.4, 0.5, 0.08, 0.02],
    mortality: 1.0,
};

const fn p(upper: u32, both: f64) -> (u32, f64, f64) {
    (upper, both, both)
}

/// Every disease of the model.
pub(crate) const SPECS: &[Spec] = &[
    Spec {
        dz: Dz::Hypertension,
        codes: &[
            ("I10", "原发性高血压", 0.55),
            ("I10.x00", "原发性高血压", 0.33),
            ("I11.9", "高血压性心脏病", 0.07),
            ("I12.9", "高血压性肾病", 0.05),
        ],
        codes_female: &[],
        prevalence: &[
            p(30, 0.002),
            p(40, 0.02),
            p(50, 0.08),
            p(55, 0.16),
            p(65, 0.27),
            p(75, 0.34),
            p(200, 0.38),
        ],
        years_back: 10,
        congenital: false,
        major: false,
        specialty: Specialty::General,
        diag_levels: [0.5, 0.44, 0.05, 0.01],
        claims: ClaimProfile {
            chronic_certified: 0.55,
            chronic_per_year: 6.0,
            chronic_median: 180.0,
            chronic_sigma: 0.5,
            chronic_levels: [0.55, 0.4, 0.05, 0.0],
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Diabetes,
        codes: &[
            ("E11.9", "2型糖尿病", 0.45),
            ("E11.900", "2型糖尿病", 0.25),
            ("E11.2", "2型糖尿病伴有肾的并发症", 0.1),
            ("E11.4", "2型糖尿病伴有神经的并发症", 0.12),
            ("E11.3", "2型糖尿病伴有眼的并发症", 0.08),
        ],
        codes_female: &[],
        prevalence: &[
            p(30, 0.001),
            p(40, 0.01),
            p(50, 0.04),
            p(60, 0.09),
            p(70, 0.12),
            p(200, 0.11),
        ],
        years_back: 10,
        congenital: false,
        major: false,
        specialty: Specialty::General,
        diag_levels: [0.35, 0.55, 0.08, 0.02],
        claims: ClaimProfile {
            chronic_certified: 0.6,
            chronic_per_year: 6.0,
            chronic_median: 260.0,
            chronic_sigma: 0.55,
            chronic_levels: [0.45, 0.47, 0.08, 0.0],
            mortality: 1.2,
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Tuberculosis,
        codes: &[
            ("A15.0", "肺结核，经显微镜下痰检查证实", 0.35),
            ("A15.3", "肺结核，经未特指的方法证实", 0.15),
            ("A16.2", "肺结核，未提及细菌学或组织学的证实", 0.5),
        ],
        codes_female: &[],
        prevalence: &[p(15, 0.0001), (60, 0.0008, 0.0004), (200, 0.0015, 0.0007)],
        years_back: 2,
        congenital: false,
        major: false,
        specialty: Specialty::General,
        diag_levels: [0.0, 0.8, 0.2, 0.0],
        claims: ClaimProfile {
            inpatient_early: 0.5,
            levels: [0.0, 0.6, 0.35, 0.05],
            chronic_certified: 0.9,
            chronic_per_year: 5.0,
            chronic_median: 300.0,
            chronic_levels: [0.0, 0.8, 0.2, 0.0],
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Mental,
        codes: &[
            ("F20.9", "精神分裂症", 0.68),
            ("F31.9", "双相情感障碍", 0.15),
            ("F25.9", "分裂情感性障碍", 0.06),
            ("F22.0", "偏执性精神障碍", 0.06),
            ("F06.8", "癫痫所致精神障碍", 0.05),
        ],
        codes_female: &[],
        prevalence: &[p(15, 0.0), p(18, 0.0004), p(76, 0.0026), p(200, 0.0012)],
        years_back: 10,
        congenital: false,
        major: true,
        specialty: Specialty::Mental,
        diag_levels: [0.0, 0.1, 0.3, 0.6],
        claims: ClaimProfile {
            inpatient_early: 0.6,
            inpatient_later: 0.35,
            levels: [0.0, 0.1, 0.3, 0.6],
            cost_factor: 0.9,
            chronic_certified: 0.85,
            chronic_per_year: 10.0,
            chronic_median: 280.0,
            chronic_sigma: 0.4,
            chronic_levels: [0.1, 0.6, 0.2, 0.1],
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Stroke,
        codes: &[
            ("I63.9", "脑梗死", 0.78),
            ("I61.9", "脑出血", 0.17),
            ("I64", "脑卒中", 0.05),
        ],
        codes_female: &[],
        prevalence: &[
            p(45, 0.0),
            (55, 0.003, 0.0025),
            (65, 0.008, 0.006),
            (75, 0.015, 0.011),
            (200, 0.02, 0.016),
        ],
        years_back: 10,
        congenital: false,
        major: true,
        specialty: Specialty::General,
        diag_levels: [0.0, 0.55, 0.38, 0.07],
        claims: ClaimProfile {
            inpatient_early: 1.0,
            inpatient_later: 0.45,
            levels: [0.1, 0.55, 0.3, 0.05],
            cost_factor: 1.3,
            chronic_certified: 0.6,
            chronic_per_year: 5.0,
            chronic_median: 320.0,
            chronic_sigma: 0.5,
            chronic_levels: [0.4, 0.5, 0.1, 0.0],
            mortality: 1.8,
        },
    },
    Spec {
        dz: Dz::Copd,
        codes: &[
            ("J44.9", "慢性阻塞性肺疾病", 0.6),
            ("J44.1", "慢性阻塞性肺疾病伴有急性加重", 0.3),
            ("J43.9", "肺气肿", 0.1),
        ],
        codes_female: &[],
        prevalence: &[
            p(55, 0.0),
            (65, 0.006, 0.004),
            (75, 0.014, 0.009),
            (200, 0.02, 0.013),
        ],
        years_back: 10,
        congenital: false,
        major: true,
        specialty: Specialty::General,
        diag_levels: [0.1, 0.6, 0.27, 0.03],
        claims: ClaimProfile {
            inpatient_early: 0.9,
            inpatient_later: 0.7,
            levels: [0.25, 0.55, 0.17, 0.03],
            cost_factor: 1.0,
            chronic_certified: 0.6,
            chronic_per_year: 5.0,
            chronic_median: 350.0,
            chronic_sigma: 0.5,
            chronic_levels: [0.45, 0.45, 0.1, 0.0],
            mortality: 1.8,
        },
    },
    Spec {
        dz: Dz::Cancer,
        codes: &[
            ("C16.9", "胃恶性肿瘤", 0.22),
            ("C15.9", "食管恶性肿瘤", 0.18),
            ("C34.9", "肺恶性肿瘤", 0.28),
            ("C22.0", "肝细胞癌", 0.12),
            ("C18.9", "结肠恶性肿瘤", 0.07),
            ("C20", "直肠恶性肿瘤", 0.07),
            ("C67.9", "膀胱恶性肿瘤", 0.04),
            ("C64", "肾恶性肿瘤", 0.02),
        ],
        codes_female: &[
            ("C50.9", "乳房恶性肿瘤", 0.22),
            ("C53.9", "子宫颈恶性肿瘤", 0.12),
            ("C34.9", "肺恶性肿瘤", 0.18),
            ("C16.9", "胃恶性肿瘤", 0.12),
            ("C15.9", "食管恶性肿瘤", 0.08),
            ("C22.0", "肝细胞癌", 0.06),
            ("C18.9", "结肠恶性肿瘤", 0.07),
            ("C20", "直肠恶性肿瘤", 0.06),
            ("C56", "卵巢恶性肿瘤", 0.06),
            ("C67.9", "膀胱恶性肿瘤", 0.01),
            ("C64", "肾恶性肿瘤", 0.02),
        ],
        prevalence: &[
            p(35, 0.0),
            p(40, 0.0004),
            p(50, 0.0012),
            p(60, 0.003),
            p(70, 0.005),
            p(200, 0.006),
        ],
        years_back: 5,
        congenital: false,
        major: true,
        specialty: Specialty::Cancer,
        diag_levels: [0.0, 0.1, 0.45, 0.45],
        claims: ClaimProfile {
            inpatient_early: 3.0,
            inpatient_later: 1.0,
            levels: [0.0, 0.15, 0.4, 0.45],
            cost_factor: 1.8,
            chronic_certified: 0.85,
            chronic_per_year: 8.0,
            chronic_median: 3000.0,
            chronic_sigma: 0.9,
            chronic_levels: [0.0, 0.2, 0.45, 0.35],
            mortality: 5.0,
        },
    },
    Spec {
        dz: Dz::Esrd,
        codes: &[
            ("N18.5", "慢性肾脏病5期", 0.9),
            ("N18.0", "终末期肾病", 0.1),
        ],
        codes_female: &[],
        prevalence: &[p(30, 0.0), p(40, 0.0002), p(200, 0.0005)],
        years_back: 10,
        congenital: false,
        major: true,
        specialty: Specialty::General,
        diag_levels: [0.0, 0.2, 0.5, 0.3],
        claims: ClaimProfile {
            inpatient_early: 1.2,
            inpatient_later: 0.5,
            levels: [0.0, 0.45, 0.4, 0.15],
            cost_factor: 1.2,
            chronic_certified: 1.0,
            chronic_per_year: 12.0,
            chronic_median: 5200.0,
            chronic_sigma: 0.2,
            chronic_levels: [0.0, 0.6, 0.35, 0.05],
            mortality: 3.0,
        },
    },
    Spec {
        dz: Dz::Ami,
        codes: &[
            ("I21.9", "急性心肌梗死", 0.75),
            ("I21.0", "急性前壁心肌梗死", 0.15),
            ("I21.1", "急性下壁心肌梗死", 0.1),
        ],
        codes_female: &[],
        prevalence: &[p(45, 0.0), (65, 0.002, 0.0008), (200, 0.0035, 0.0025)],
        years_back: 5,
        congenital: false,
        major: true,
        specialty: Specialty::General,
        diag_levels: [0.0, 0.3, 0.5, 0.2],
        claims: ClaimProfile {
            inpatient_early: 0.8,
            inpatient_later: 0.3,
            levels: [0.0, 0.35, 0.45, 0.2],
            cost_factor: 2.0,
            chronic_certified: 0.5,
            chronic_per_year: 4.0,
            chronic_median: 300.0,
            chronic_sigma: 0.5,
            chronic_levels: [0.3, 0.55, 0.15, 0.0],
            mortality: 1.5,
        },
    },
    Spec {
        dz: Dz::Cataract,
        codes: &[("H25.9", "老年性白内障", 0.85), ("H26.9", "白内障", 0.15)],
        codes_female: &[],
        prevalence: &[p(60, 0.0), p(70, 0.0025), p(200, 0.006)],
        years_back: 3,
        congenital: false,
        major: true,
        specialty: Specialty::General,
        diag_levels: [0.0, 0.6, 0.35, 0.05],
        claims: ClaimProfile {
            inpatient_early: 0.6,
            inpatient_later: 0.05,
            levels: [0.0, 0.6, 0.35, 0.05],
            cost_factor: 0.55,
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Pneumoconiosis,
        codes: &[("J62.8", "矽肺", 0.6), ("J60", "煤工尘肺", 0.4)],
        codes_female: &[],
        prevalence: &[(45, 0.0, 0.0), (200, 0.0006, 0.0)],
        years_back: 10,
        congenital: false,
        major: true,
        specialty: Specialty::General,
        diag_levels: [0.0, 0.2, 0.6, 0.2],
        claims: ClaimProfile {
            inpatient_early: 0.7,
            inpatient_later: 0.6,
            levels: [0.0, 0.4, 0.45, 0.15],
            chronic_certified: 0.7,
            chronic_per_year: 4.0,
            chronic_median: 400.0,
            chronic_levels: [0.2, 0.6, 0.2, 0.0],
            mortality: 1.8,
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Rheumatic,
        codes: &[("I05.0", "二尖瓣狭窄", 0.5), ("I09.9", "风湿性心脏病", 0.5)],
        codes_female: &[],
        prevalence: &[p(40, 0.0), p(200, 0.0005)],
        years_back: 10,
        congenital: false,
        major: true,
        specialty: Specialty::General,
        diag_levels: [0.0, 0.3, 0.5, 0.2],
        claims: ClaimProfile {
            inpatient_early: 0.6,
            inpatient_later: 0.35,
            levels: [0.0, 0.35, 0.45, 0.2],
            cost_factor: 1.4,
            chronic_certified: 0.6,
            chronic_per_year: 4.0,
            chronic_median: 350.0,
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Hiv,
        codes: &[("B24", "艾滋病", 1.0)],
        codes_female: &[],
        prevalence: &[p(20, 0.0), (60, 0.00008, 0.00003)],
        years_back: 10,
        congenital: false,
        major: true,
        specialty: Specialty::General,
        diag_levels: [0.0, 0.2, 0.6, 0.2],
        claims: ClaimProfile {
            inpatient_early: 0.6,
            inpatient_later: 0.4,
            levels: [0.0, 0.2, 0.6, 0.2],
            cost_factor: 1.2,
            chronic_certified: 0.9,
            chronic_per_year: 6.0,
            chronic_median: 400.0,
            chronic_levels: [0.0, 0.3, 0.7, 0.0],
            mortality: 2.0,
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::ChildLeukaemia,
        codes: &[
            ("C91.0", "急性淋巴细胞白血病", 0.85),
            ("C92.4", "急性早幼粒细胞白血病", 0.15),
        ],
        codes_female: &[],
        prevalence: &[p(1, 0.0), p(18, 0.0003)],
        years_back: 5,
        congenital: false,
        major: true,
        specialty: Specialty::Children,
        diag_levels: [0.0, 0.0, 0.3, 0.7],
        claims: ClaimProfile {
            inpatient_early: 4.0,
            inpatient_later: 1.0,
            levels: [0.0, 0.0, 0.25, 0.75],
            cost_factor: 1.5,
            chronic_certified: 0.8,
            chronic_per_year: 6.0,
            chronic_median: 1500.0,
            chronic_sigma: 0.7,
            chronic_levels: [0.0, 0.0, 0.4, 0.6],
            mortality: 2.0,
        },
    },
    Spec {
        dz: Dz::CongenitalHeart,
        codes: &[
            ("Q21.0", "室间隔缺损", 0.4),
            ("Q21.1", "房间隔缺损", 0.35),
            ("Q25.0", "动脉导管未闭", 0.2),
            ("Q22.1", "肺动脉瓣狭窄", 0.05),
        ],
        codes_female: &[],
        prevalence: &[p(18, 0.0015)],
        years_back: 10,
        congenital: true,
        major: true,
        specialty: Specialty::Children,
        diag_levels: [0.0, 0.1, 0.4, 0.5],
        claims: ClaimProfile {
            inpatient_early: 0.8,
            inpatient_later: 0.1,
            levels: [0.0, 0.0, 0.3, 0.7],
            cost_factor: 1.6,
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Cleft,
        codes: &[
            ("Q36.9", "唇裂", 0.5),
            ("Q35.9", "腭裂", 0.3),
            ("Q37.9", "唇裂伴腭裂", 0.2),
        ],
        codes_female: &[],
        prevalence: &[p(18, 0.0004)],
        years_back: 10,
        congenital: true,
        major: true,
        specialty: Specialty::Children,
        diag_levels: [0.0, 0.2, 0.4, 0.4],
        claims: ClaimProfile {
            inpatient_early: 0.7,
            inpatient_later: 0.1,
            levels: [0.0, 0.0, 0.4, 0.6],
            cost_factor: 0.6,
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Hypospadias,
        codes: &[("Q54.9", "尿道下裂", 1.0)],
        codes_female: &[],
        prevalence: &[(18, 0.0006, 0.0)],
        years_back: 10,
        congenital: true,
        major: true,
        specialty: Specialty::Children,
        diag_levels: [0.0, 0.2, 0.4, 0.4],
        claims: ClaimProfile {
            inpatient_early: 0.6,
            inpatient_later: 0.05,
            levels: [0.0, 0.0, 0.5, 0.5],
            cost_factor: 0.5,
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Haemophilia,
        codes: &[("D66", "血友病A", 1.0)],
        codes_female: &[],
        prevalence: &[(50, 0.0001, 0.0)],
        years_back: 10,
        congenital: false,
        major: true,
        specialty: Specialty::Children,
        diag_levels: [0.0, 0.0, 0.3, 0.7],
        claims: ClaimProfile {
            inpatient_early: 0.5,
            inpatient_later: 0.3,
            levels: [0.0, 0.1, 0.4, 0.5],
            chronic_certified: 0.9,
            chronic_per_year: 12.0,
            chronic_median: 4000.0,
            chronic_sigma: 0.4,
            chronic_levels: [0.0, 0.3, 0.5, 0.2],
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Thalassaemia,
        codes: &[("D56.9", "地中海贫血", 1.0)],
        codes_female: &[],
        prevalence: &[p(40, 0.00004)],
        years_back: 10,
        congenital: false,
        major: true,
        specialty: Specialty::Children,
        diag_levels: [0.0, 0.1, 0.4, 0.5],
        claims: ClaimProfile {
            inpatient_early: 1.0,
            inpatient_later: 0.8,
            levels: [0.0, 0.3, 0.4, 0.3],
            chronic_certified: 0.8,
            chronic_per_year: 8.0,
            chronic_median: 800.0,
            chronic_levels: [0.0, 0.5, 0.4, 0.1],
            ..NO_CLAIMS
        },
    },
    Spec {
        dz: Dz::Osteosarcoma,
        codes: &[("C40.2", "下肢长骨骨肉瘤", 1.0)],
        codes_female: &[],
        prevalence: &[p(10, 0.0), p(25, 0.00004)],
        years_back: 5,
        congenital: false,
        major: true,
        specialty: Specialty::Cancer,
        diag_levels: [0.0, 0.0, 0.3, 0.7],
        claims: ClaimProfile {
            inpatient_early: 3.0,
            inpatient_later: 0.8,
            levels: [0.0, 0.0, 0.3, 0.7],
            cost_factor: 1.8,
            chronic_certified: 0.8,
            chronic_per_year: 6.0,
            chronic_median: 2500.0,
            chronic_sigma: 0.7,
            chronic_levels: [0.0, 0.0, 0.4, 0.6],
            mortality: 3.0,
        },
    },
];

/// The spec of one disease.
pub(crate) fn spec(dz: Dz) -> &'static Spec {
    SPECS
        .iter()
        .find(|s| s.dz == dz)
        .expect("every disease has a spec")
}

/// Main diagnoses of ordinary outpatient visits, adults.
pub(crate) const OUTPATIENT_ADULT: &[Code] = &[
    ("J06.9", "急性上呼吸道感染", 0.25),
    ("J02.9", "急性咽炎", 0.1),
    ("J20.9", "急性支气管炎", 0.1),
    ("K29.7", "胃炎", 0.1),
    ("K52.9", "急性胃肠炎", 0.07),
    ("M54.5", "腰痛", 0.08),
    ("M17.9", "膝关节病", 0.07),
    ("R51", "头痛", 0.05),
    ("L30.9", "皮炎", 0.05),
    ("H10.9", "结膜炎", 0.04),
    ("K02.9", "龋病", 0.04),
    ("N39.0", "泌尿道感染", 0.05),
];

/// Main diagnoses of ordinary outpatient visits, children.
pub(crate) const OUTPATIENT_CHILD: &[Code] = &[
    ("J06.9", "急性上呼吸道感染", 0.45),
    ("J02.9", "急性咽炎", 0.15),
    ("J20.9", "急性支气管炎", 0.15),
    ("A09", "感染性腹泻", 0.1),
    ("K52.9", "急性胃肠炎", 0.05),
    ("L30.9", "皮炎", 0.05),
    ("H10.9", "结膜炎", 0.05),
];

/// Main diagnoses of ordinary admissions, adults.
pub(crate) const INPATIENT_ADULT: &[Code] = &[
    ("J18.9", "肺炎", 0.14),
    ("I25.1", "动脉粥样硬化性心脏病", 0.12),
    ("I20.0", "不稳定型心绞痛", 0.06),
    ("K80.2", "胆囊结石", 0.05),
    ("K35.8", "急性阑尾炎", 0.04),
    ("S72.0", "股骨颈骨折", 0.03),
    ("J20.9", "急性支气管炎", 0.06),
    ("K29.7", "胃炎", 0.05),
    ("M51.2", "腰椎间盘突出", 0.07),
    ("N20.0", "肾结石", 0.04),
    ("J42", "慢性支气管炎", 0.07),
    ("I67.2", "脑动脉粥样硬化", 0.05),
    ("M17.9", "膝关节病", 0.04),
    ("K74.6", "肝硬化", 0.02),
    ("S06.0", "脑震荡", 0.02),
    ("I50.9", "心力衰竭", 0.05),
    ("K40.9", "腹股沟疝", 0.03),
];

/// Main diagnoses of ordinary admissions, children.
pub(crate) const INPATIENT_CHILD: &[Code] = &[
    ("J18.9", "肺炎", 0.5),
    ("J20.9", "急性支气管炎", 0.2),
    ("A09", "感染性腹泻", 0.15),
    ("J35.0", "慢性扁桃体炎", 0.05),
    ("S52.5", "桡骨下端骨折", 0.05),
    ("K35.8", "急性阑尾炎", 0.05),
];

/// Main diagnoses of a delivery.
pub(crate) const CHILDBIRTH: &[Code] = &[("O80.0", "单胎顺产", 0.6), ("O82.0", "剖宫产", 0.4)];

/// Draws a code from a weighted list.
pub(crate) fn pick_code(rng: &mut crate::rng::Rng, codes: &'static [Code]) -> &'static Code {
    let total: f64 = codes.iter().map(|c| c.2).sum();
    let mut x = rng.f64() * total;
    for c in codes {
        if x < c.2 {
            return c;
        }
        x -= c.2;
    }
    &codes[codes.len() - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use jianfu_domain::{DiseaseCatalogue, Icd10};

    fn all_code_lists() -> Vec<&'static [Code]> {
        let mut lists: Vec<&'static [Code]> = vec![
            OUTPATIENT_ADULT,
            OUTPATIENT_CHILD,
            INPATIENT_ADULT,
            INPATIENT_CHILD,
            CHILDBIRTH,
        ];
        for s in SPECS {
            lists.push(s.codes);
            lists.push(s.codes_female);
        }
        lists
    }

    #[test]
    fn every_code_parses_and_lists_fit() {
        for list in all_code_lists() {
            for (code, name, w) in list {
                assert!(Icd10::parse(code).is_ok(), "{code}");
                assert!(code.len() <= 8);
                assert!(!name.is_empty() && !name.contains('"'));
                assert!(*w > 0.0);
            }
        }
    }

    #[test]
    fn major_flags_agree_with_the_catalogue() {
        let cat = DiseaseCatalogue::built_in();
        let day = chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let major = cat.list("major30", day).unwrap();
        let chronic = cat.list("chronic4", day).unwrap();
        for s in SPECS {
            for male in [true, false] {
                for (code, _, _) in s.codes_for(male) {
                    let icd = Icd10::parse(code).unwrap();
                    // Children's diseases are matched with a child's age.
                    let age = if s.specialty == Specialty::Children {
                        5
                    } else {
                        60
                    };
                    assert_eq!(
                        major.matching(&icd, Some(age)).is_some(),
                        s.major,
                        "{code} major"
                    );
                    let is_chronic = matches!(
                        s.dz,
                        Dz::Hypertension | Dz::Diabetes | Dz::Tuberculosis | Dz::Mental
                    );
                    assert_eq!(chronic.matching(&icd, None).is_some(), is_chronic, "{code}");
                }
            }
        }
        for list in [
            OUTPATIENT_ADULT,
            OUTPATIENT_CHILD,
            INPATIENT_ADULT,
            INPATIENT_CHILD,
            CHILDBIRTH,
        ] {
            for (code, _, _) in list {
                let icd = Icd10::parse(code).unwrap();
                assert!(major.matching(&icd, Some(60)).is_none(), "{code}");
                assert!(chronic.matching(&icd, None).is_none(), "{code}");
            }
        }
    }
}
