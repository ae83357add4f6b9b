//! The code-list macro of the crate: each value has a stable English code
//! (files, API, database) and a Chinese label (shown to users), and input
//! may use either or an accepted alias. Unknown input is the domain's
//! [`CodeError`](jianfu_domain::CodeError), so imports report it the same
//! way as every other code list.

macro_rules! care_code_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $list:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal $(, [$($alias:literal),*])? ;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Stable English code.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// Chinese label.
            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// Parses the English code, the Chinese label or an accepted alias.
            pub fn parse(input: &str) -> Result<Self, jianfu_domain::CodeError> {
                let s = input.trim();
                $(
                    if s.eq_ignore_ascii_case($code) || s == $label $($(|| s == $alias)*)? {
                        return Ok($name::$variant);
                    }
                )+
                Err(jianfu_domain::CodeError {
                    list: $list,
                    value: s.to_string(),
                    allowed: Self::ALL.iter().map(|v| v.label()).collect::<Vec<_>>().join("、"),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

pub(crate) use care_code_enum;
