mlcollageSearch.files(["2020.js?v=4e2cc3331e41","2019.js?v=5c4e71dba0b1"]);
