mlcollageSearch.files(["2020.js?v=8b2f380b5f54","2019.js?v=67354b1af5ba"]);
