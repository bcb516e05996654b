mlcollageSearch.files(["2020.js?v=4e2cc3331e41","2019.js?v=c458560900c9"]);
