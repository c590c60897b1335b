/**
 * Name pools for the demo data. Gulf private schools are diverse: Saudi and other Arab families,
 * South Asian, Filipino, British and Turkish families, so the pools are too (ASCII
 * transliterations, as school systems there usually store them).
 */

export type Origin = "arab" | "south_asian" | "english" | "filipino" | "turkish";

export interface NamePool {
  readonly male: readonly string[];
  readonly female: readonly string[];
  readonly family: readonly string[];
  /** Arab names carry the father's first name: "Omar Ahmed Al-Harbi". */
  readonly patronymic: boolean;
}

// biome-ignore format: long name lists read better packed
export const NAMES: Readonly<Record<Origin, NamePool>> = {
  arab: {
    male: [
      "Ahmed", "Mohammed", "Omar", "Khalid", "Abdullah", "Faisal", "Saud", "Yousef", "Ibrahim", "Hamad",
      "Sultan", "Nasser", "Turki", "Fahad", "Majed", "Rashid", "Ali", "Hassan", "Hussein", "Ziyad",
      "Bandar", "Tariq", "Salman", "Mansour", "Waleed", "Adel", "Karim", "Sami", "Anas", "Hamza",
      "Bilal", "Yazan", "Rayan", "Talal", "Abdulaziz", "Nawaf", "Mishal", "Osama", "Mazen", "Fares",
    ],
    female: [
      "Fatima", "Aisha", "Noura", "Sara", "Maryam", "Layla", "Huda", "Reem", "Hessa", "Lama",
      "Dana", "Joud", "Lujain", "Rahaf", "Shahad", "Ghada", "Amal", "Hanan", "Mona", "Nouf",
      "Alanoud", "Bayan", "Yasmin", "Salma", "Hala", "Rania", "Zainab", "Jana", "Lina", "Razan",
      "Haya", "Dalia", "Abeer", "Maha", "Wafa", "Sumaya",
    ],
    family: [
      "Al-Harbi", "Al-Otaibi", "Al-Qahtani", "Al-Ghamdi", "Al-Zahrani", "Al-Shehri", "Al-Dosari",
      "Al-Mutairi", "Al-Anazi", "Al-Shammari", "Al-Subaie", "Al-Rashid", "Al-Maliki", "Al-Amri",
      "Al-Juhani", "Al-Tamimi", "Al-Hashimi", "Haddad", "Khoury", "Mansour", "Saleh", "Hamdan",
      "El-Sayed", "Abdelrahman", "Farouk", "Mahmoud", "Al-Farsi", "Al-Balushi", "Al-Kaabi",
      "Al-Mazrouei", "Al-Nuaimi", "Al-Sulaiman", "Bakr", "Al-Khatib", "Nassar", "Qasim",
    ],
    patronymic: true,
  },
  south_asian: {
    male: [
      "Arjun", "Rahul", "Aditya", "Vikram", "Rohan", "Imran", "Faizan", "Zain", "Ayaan", "Kabir",
      "Aryan", "Sameer", "Usman", "Farhan", "Nikhil", "Pranav", "Siddharth", "Rizwan", "Harsh", "Dev",
    ],
    female: [
      "Priya", "Ananya", "Zara", "Sana", "Ayesha", "Meera", "Kavya", "Diya", "Nisha", "Hira",
      "Mahnoor", "Riya", "Saanvi", "Anika", "Iqra", "Pooja", "Fiza", "Tanvi",
    ],
    family: [
      "Sharma", "Patel", "Khan", "Qureshi", "Siddiqui", "Iyer", "Nair", "Menon", "Reddy", "Gupta",
      "Chaudhry", "Malik", "Hussain", "Rao", "Kapoor", "Sheikh", "Mirza", "Pillai", "D'Souza", "Joshi",
    ],
    patronymic: false,
  },
  english: {
    male: [
      "James", "Oliver", "William", "Jack", "Thomas", "Daniel", "Samuel", "Noah", "Ethan", "Lucas",
      "Benjamin", "Henry", "Adam", "David", "Michael", "Ryan",
    ],
    female: [
      "Emily", "Olivia", "Sophie", "Charlotte", "Grace", "Amelia", "Hannah", "Chloe", "Lily", "Isabella",
      "Emma", "Ella", "Lucy", "Rachel", "Sarah",
    ],
    family: [
      "Smith", "Johnson", "Williams", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Roberts",
      "Walker", "Wright", "Green", "Hughes", "Clarke", "Murphy", "O'Brien", "Campbell", "Bennett",
    ],
    patronymic: false,
  },
  filipino: {
    male: ["Jose", "Mark", "John Paul", "Carlo", "Miguel", "Paolo", "Rafael", "Angelo", "Jericho"],
    female: ["Maria", "Angelica", "Kristine", "Joy", "Patricia", "Camille", "Bea", "Andrea", "Nicole"],
    family: ["Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Dela Cruz", "Villanueva", "Ramos"],
    patronymic: false,
  },
  turkish: {
    male: ["Emre", "Mehmet", "Can", "Burak", "Kerem", "Yusuf", "Efe"],
    female: ["Elif", "Zeynep", "Ayse", "Defne", "Ece", "Selin"],
    family: ["Yilmaz", "Demir", "Kaya", "Ozturk", "Aydin", "Celik", "Sahin"],
    patronymic: false,
  },
};

/** Lowercase ASCII for email local parts: "D'Souza" -> "dsouza", "Dela Cruz" -> "delacruz". */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}
