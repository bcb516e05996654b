mlcollageSearch.files(["2020.js?v=53fb466b1ae2","2019.js?v=67354b1af5ba"]);
