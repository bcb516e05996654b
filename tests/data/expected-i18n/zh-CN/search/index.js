mlcollageSearch.files(["2020.js?v=281301e9aa91","2019.js?v=56746d9ead7d"]);
